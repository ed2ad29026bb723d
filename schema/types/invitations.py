"""Invitations, as GraphQL sees them: the invitation, its public preview, inputs, payloads,
and what ``Tenant.invitations`` answers."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from identity.permissions import Permission
from identity.services.invitations import (
    MAX_PAGE,
    Accepted,
    InvitationDetails,
    InvitationPreview,
)
from identity.services.invitations.readers import InvitationsKey
from schema.context import Context
from schema.types.auth import AuthPayload, MfaEnrollmentRequired
from schema.types.invitation_status import InvitationStatusModel
from schema.types.locations import reaches
from schema.types.pagination import check_list_arguments
from schema.types.user import User


@strawberry.type(description="An invitation to join a tenant (its token is never shown).")
class Invitation:
    id: strawberry.ID = strawberry.field(description="Invitation id (UUID).")
    tenant_id: strawberry.ID = strawberry.field(description="The tenant it invites to.")
    tenant_name: str | None = strawberry.field(description="The tenant's name.")
    email: str = strawberry.field(description="The invited address.")
    role_id: strawberry.ID | None = strawberry.field(description="The tenant role it gives.")
    role_name: str | None = strawberry.field(description="That role's name.")
    message: str | None = strawberry.field(description="The inviter's message (plain text).")
    status: InvitationStatusModel = strawberry.field(
        description="Computed: a pending invitation past its expiry is EXPIRED."
    )
    invited_by: strawberry.ID | None = strawberry.field(description="Who invited.")
    invited_by_name: str | None = strawberry.field(description="The inviter's display name.")
    resend_count: int = strawberry.field(description="How often it was mailed again.")
    last_sent_at: datetime = strawberry.field(description="When it was last mailed.")
    expires_at: datetime = strawberry.field(description="When its token stops working.")
    accepted_at: datetime | None = strawberry.field(description="When it was accepted.")
    accepted_by: strawberry.ID | None = strawberry.field(description="The member it made.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_details(cls, found: InvitationDetails) -> Invitation:
        one = found.invitation
        return cls(
            id=strawberry.ID(str(one.id)),
            tenant_id=strawberry.ID(str(one.tenant_id)),
            tenant_name=found.tenant_name,
            email=one.email,
            role_id=strawberry.ID(str(one.role_id)) if one.role_id else None,
            role_name=found.role_name,
            message=one.message,
            status=found.status,
            invited_by=strawberry.ID(str(one.invited_by)) if one.invited_by else None,
            invited_by_name=found.invited_by_name,
            resend_count=one.resend_count,
            last_sent_at=one.last_sent_at,
            expires_at=one.expires_at,
            accepted_at=one.accepted_at,
            accepted_by=strawberry.ID(str(one.accepted_by)) if one.accepted_by else None,
            revoked_at=one.revoked_at,
            created_at=one.created_at,
        )


@strawberry.type(description="A page of invitations, and how many match in all.")
class InvitationList:
    items: list[Invitation] = strawberry.field(description="The invitations, newest first.")
    total: int = strawberry.field(description="How many match the filters in all.")


async def tenant_invitations(
    info: Info[Context, None],
    tenant_id: uuid.UUID,
    *,
    status: InvitationStatusModel | None,
    offset: int,
    limit: int,
) -> InvitationList | None:
    """``Tenant.invitations``: the tenant's invitations, newest first, when the caller's
    invitations:manage reaches it (else None)."""
    check_list_arguments(offset=offset, limit=limit, max_limit=MAX_PAGE)
    if not await reaches(info, Permission.INVITATIONS_MANAGE, tenant_id):
        return None
    found = await info.context.loaders.invitations_by_tenant.load(
        InvitationsKey(tenant_id=tenant_id, status=status, offset=offset, limit=limit)
    )
    return InvitationList(
        items=[Invitation.from_details(one) for one in found.items], total=found.total
    )


@strawberry.type(
    name="InvitationPreview",
    description="What an invitation token opens, for its holder to decide.",
)
class InvitationPreviewType:
    tenant_name: str = strawberry.field(description="The tenant it invites to.")
    invited_by_name: str | None = strawberry.field(description="The inviter's display name.")
    email: str = strawberry.field(description="The invited address, masked: j***@example.com.")
    role_name: str | None = strawberry.field(description="The role it gives, if any.")
    message: str | None = strawberry.field(description="The inviter's message (plain text).")
    expires_at: datetime = strawberry.field(description="When the token stops working.")

    @classmethod
    def from_preview(cls, preview: InvitationPreview) -> InvitationPreviewType:
        return cls(
            tenant_name=preview.tenant_name,
            invited_by_name=preview.invited_by_name,
            email=preview.email_masked,
            role_name=preview.role_name,
            message=preview.message,
            expires_at=preview.expires_at,
        )


@strawberry.type(description="An invitation, created or changed.")
class InvitationPayload:
    invitation: Invitation = strawberry.field(description="The invitation as it is now.")


@strawberry.type(description="An accepted invitation.")
class InvitationAccepted:
    invitation: Invitation = strawberry.field(description="The invitation, now ACCEPTED.")
    user: User = strawberry.field(description="The member.")
    tenant_id: strawberry.ID = strawberry.field(description="The tenant joined.")
    account_created: bool = strawberry.field(description="Whether accepting created it.")
    tokens: AuthPayload | None = strawberry.field(
        description="A new session's tokens when the account was created; else null."
    )
    mfa_enrollment: MfaEnrollmentRequired | None = strawberry.field(
        default=None,
        description="Instead of tokens, when MFA is enforced for the new account: enrol a "
        "second factor with this token, then log in.",
    )

    @classmethod
    def from_accepted(cls, accepted: Accepted) -> InvitationAccepted:
        return cls(
            invitation=Invitation.from_details(accepted.invitation),
            user=User.from_model(accepted.user),
            tenant_id=strawberry.ID(str(accepted.tenant.id)),
            account_created=accepted.created,
            tokens=AuthPayload.from_pair(accepted.pair, cookie_mode=False)
            if accepted.pair
            else None,
            mfa_enrollment=MfaEnrollmentRequired.from_step(accepted.enrollment)
            if accepted.enrollment
            else None,
        )


@strawberry.input(description="Who to invite, where, with which role.")
class CreateInvitationInput:
    email: str = strawberry.field(description="The address to invite.")
    tenant_id: strawberry.ID | None = strawberry.field(
        default=None, description="The tenant; default: where your permission reaches."
    )
    role_id: strawberry.ID | None = strawberry.field(
        default=None, description="A role of that tenant to give on accepting."
    )
    message: str | None = strawberry.field(
        default=None, description="Shown on the accept page (not in the mail); 1000 at most."
    )
    expires_in_days: int | None = strawberry.field(
        default=None, description="Days the token works: 1 to 30, default 7."
    )


@strawberry.input(description="The mailed token, and a new account's details if needed.")
class AcceptInvitationInput:
    token: str = strawberry.field(description="The token from the mail.")
    password: str | None = strawberry.field(
        default=None, description="The new account's password (not when signed in)."
    )
    first_name: str | None = strawberry.field(default=None, description="First name.")
    last_name: str | None = strawberry.field(default=None, description="Last name.")
    username: str | None = strawberry.field(default=None, description="Username.")
