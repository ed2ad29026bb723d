"""Invitations to join a tenant (seed 003): administrators invite by address, the invited
person accepts with the mailed token. See ``manage`` and ``public``."""

from identity.services.invitations.common import (
    DEFAULT_DAYS,
    MAX_DAYS,
    MAX_MESSAGE_LENGTH,
    MAX_TOKEN_LENGTH,
    RESENDS_PER_DAY,
    InvitationDetails,
    masked,
)
from identity.services.invitations.manage import (
    MAX_PAGE,
    create_invitation,
    get_invitation,
    list_invitations,
    resend_invitation,
    revoke_invitation,
)
from identity.services.invitations.public import (
    Accepted,
    InvitationPreview,
    NewAccount,
    accept_invitation,
    validate_invitation,
)

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "MAX_MESSAGE_LENGTH",
    "MAX_PAGE",
    "MAX_TOKEN_LENGTH",
    "RESENDS_PER_DAY",
    "Accepted",
    "InvitationDetails",
    "InvitationPreview",
    "NewAccount",
    "accept_invitation",
    "create_invitation",
    "get_invitation",
    "list_invitations",
    "masked",
    "resend_invitation",
    "revoke_invitation",
    "validate_invitation",
]
