"""Invitations: create, revoke, resend (invitations:manage) and accept (public)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from identity.permissions import Permission as PermissionName
from identity.services import invitations
from schema.context import Context
from schema.declare import PUBLIC, mutation, needs
from schema.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    TokenInvalid,
    ValidationError,
)
from schema.ids import parse_id
from schema.types.invitations import (
    AcceptInvitationInput,
    CreateInvitationInput,
    Invitation,
    InvitationAccepted,
    InvitationPayload,
)

CreateInvitationResult = Annotated[
    InvitationPayload | ValidationError | Conflict | NotFound | PermissionDenied,
    strawberry.union("CreateInvitationResult", description="The new invitation, or why not."),
]
RevokeInvitationResult = Annotated[
    InvitationPayload | NotFound | Conflict,
    strawberry.union("RevokeInvitationResult", description="The revoked invitation, or why not."),
]
ResendInvitationResult = Annotated[
    InvitationPayload | NotFound | Conflict,
    strawberry.union("ResendInvitationResult", description="The resent invitation, or why not."),
]
AcceptInvitationResult = Annotated[
    InvitationAccepted | TokenInvalid | ValidationError | Conflict,
    strawberry.union("AcceptInvitationResult", description="The tenant joined, or why not."),
]


@strawberry.type
class InvitationsMutations:
    @mutation(
        "Invite an address to a tenant (default: where your permission reaches) and mail it "
        "a link; optionally with a role of that tenant you could grant yourself. A pending "
        "invitation to the address is INVITATION_PENDING; a member's, ALREADY_MEMBER.",
        access=needs(PermissionName.INVITATIONS_MANAGE),
    )
    async def create_invitation(
        self, info: Info[Context, None], input: CreateInvitationInput
    ) -> CreateInvitationResult:
        created, _ = await invitations.create_invitation(
            info.context.deps,
            principal=await info.context.principal(),
            email=input.email,
            tenant_id=parse_id(input.tenant_id, field="tenantId") if input.tenant_id else None,
            role_id=parse_id(input.role_id, field="roleId") if input.role_id else None,
            message=input.message,
            expires_in_days=input.expires_in_days,
        )
        return InvitationPayload(invitation=Invitation.from_details(created))

    @mutation(
        "Revoke a pending invitation: its token stops working (else INVITATION_NOT_PENDING).",
        access=needs(PermissionName.INVITATIONS_MANAGE),
    )
    async def revoke_invitation(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RevokeInvitationResult:
        revoked = await invitations.revoke_invitation(
            info.context.deps, principal=await info.context.principal(), invitation_id=parse_id(id)
        )
        return InvitationPayload(invitation=Invitation.from_details(revoked))

    @mutation(
        "Mail a pending invitation again with a new token (the old one stops working) and "
        "its validity restarted; at most 5 a day (INVITATION_RESEND_LIMIT).",
        access=needs(PermissionName.INVITATIONS_MANAGE),
    )
    async def resend_invitation(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> ResendInvitationResult:
        resent, _ = await invitations.resend_invitation(
            info.context.deps, principal=await info.context.principal(), invitation_id=parse_id(id)
        )
        return InvitationPayload(invitation=Invitation.from_details(resent))

    @mutation(
        "Accept an invitation with its mailed token: signed in to the invited address's "
        "account, it joins; otherwise a new account is created (password needed) and signed "
        "in. An address with an account needs its sign-in (INVITATION_SIGN_IN_REQUIRED).",
        access=PUBLIC,
    )
    async def accept_invitation(
        self, info: Info[Context, None], input: AcceptInvitationInput
    ) -> AcceptInvitationResult:
        accepted = await invitations.accept_invitation(
            info.context.deps,
            token=input.token,
            meta=info.context.meta,
            principal=await info.context.principal(),
            account=invitations.NewAccount(
                password=input.password,
                first_name=input.first_name,
                last_name=input.last_name,
                username=input.username,
            ),
        )
        return InvitationAccepted.from_accepted(accepted)
