"""Answers of seed 003's invitation routes."""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict

from identity.rest.responses.account import TokensOut, UserOut


class InvitationOut(TypedDict):
    """An invitation as its administrators see it (never its token); ``status`` is computed:
    a pending invitation past ``expires_at`` is ``expired``."""

    id: str
    tenant_id: str
    tenant_name: str | None
    email: str
    role_id: str | None
    role_name: str | None
    message: str | None
    status: str
    invited_by: str | None
    invited_by_name: str | None
    resend_count: int
    last_sent_at: str | None
    expires_at: str | None
    accepted_at: str | None
    accepted_by: str | None
    revoked_at: str | None
    created_at: str | None
    updated_at: str | None


class InvitationsPageOut(TypedDict):
    invitations: list[InvitationOut]
    total: int
    count: int
    limit: int
    offset: int


class InvitationPreviewOut(TypedDict):
    """What the token's holder sees: the address masked (``j***@example.com``); ``message``
    is the inviter's plain text (render it as text)."""

    valid: bool
    tenant_name: str
    invited_by_name: str | None
    email: str
    role_name: str | None
    message: str | None
    expires_at: str | None


class AcceptedTenantOut(TypedDict):
    id: str
    name: str
    slug: str


class InvitationAcceptedOut(TypedDict):
    """The member and the tenant joined; when accepting created the account, a login's
    answer besides (tokens of a new session, or ``mfa_enrollment_required`` with an
    ``enrollment_token`` while MFA is enforced for the account: no session)."""

    message: str
    account_created: bool
    user: UserOut
    tenant: AcceptedTenantOut
    invitation: InvitationOut
    access_token: NotRequired[str]
    refresh_token: NotRequired[str | None]
    token_type: NotRequired[str]
    expires_in: NotRequired[int]
    session_id: NotRequired[str]
    tokens: NotRequired[TokensOut]
    mfa_enrollment_required: NotRequired[bool]
    enrollment_token: NotRequired[str]
    user_id: NotRequired[str]
