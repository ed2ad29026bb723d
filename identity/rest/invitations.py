"""Invitations: seed 003's ``/v1/invitations*``.

Managing them needs ``invitations:manage`` where it reaches (another tenant's invitation is
404). The two public routes take the mailed token in the body (the link carries it in its
fragment): ``validate`` shows the invitation, ``accept`` creates the account and answers like
a login, or, with a bearer token of the invited address's account, makes it a member.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from identity.models import InvitationStatus
from identity.rest.auth.flows import mfa_required_json
from identity.rest.bodies import EMAIL_FORMAT, Body
from identity.rest.deps import DepsDep, MetaDep, OptionalPrincipalDep, PrincipalDep
from identity.rest.openapi.bodies import plain_text_pattern
from identity.rest.params import Id, Offset
from identity.rest.responses.invitations import (
    InvitationAcceptedOut,
    InvitationOut,
    InvitationPreviewOut,
    InvitationsPageOut,
)
from identity.rest.routing import row
from identity.rest.shapes import login_json, user_json, when
from identity.services import invitations
from identity.services.invitations import InvitationDetails

PageSize = Annotated[int, Ge(1), Le(invitations.MAX_PAGE)]


TENANT_RULE: JsonDict = {
    "description": "Name the tenant with `tenant_id` (or `organization_id`); a caller acting "
    "in one (a tenant admin) may leave both out (else 422 TENANT_REQUIRED).",
    "anyOf": [
        {"required": ["tenant_id"], "properties": {"tenant_id": {"type": "string"}}},
        {"required": ["organization_id"], "properties": {"organization_id": {"type": "string"}}},
    ],
}


class CreateInvitationBody(Body):
    model_config = ConfigDict(extra="ignore", json_schema_extra=TENANT_RULE)

    email: str = Field(max_length=320, json_schema_extra=EMAIL_FORMAT)
    tenant_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    role_id: uuid.UUID | None = None
    message: str | None = Field(
        None,
        max_length=invitations.MAX_MESSAGE_LENGTH,
        json_schema_extra={"pattern": plain_text_pattern()},
    )
    expires_in_days: int | None = Field(None, ge=1, le=invitations.MAX_DAYS)


class TokenBody(Body):
    token: str = Field(max_length=500)


class AcceptBody(TokenBody):
    password: str | None = Field(None, max_length=1024)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    username: str | None = Field(None, max_length=150)
    device_info: dict[str, Any] | None = None


def invitation_json(found: InvitationDetails) -> dict[str, Any]:
    one = found.invitation
    return {
        "id": str(one.id),
        "tenant_id": str(one.tenant_id),
        "tenant_name": found.tenant_name,
        "email": one.email,
        "role_id": str(one.role_id) if one.role_id else None,
        "role_name": found.role_name,
        "message": one.message,
        "status": found.status.value,
        "invited_by": str(one.invited_by) if one.invited_by else None,
        "invited_by_name": found.invited_by_name,
        "resend_count": one.resend_count,
        "last_sent_at": when(one.last_sent_at),
        "expires_at": when(one.expires_at),
        "accepted_at": when(one.accepted_at),
        "accepted_by": str(one.accepted_by) if one.accepted_by else None,
        "revoked_at": when(one.revoked_at),
        "created_at": when(one.created_at),
        "updated_at": when(one.updated_at),
    }


async def list_invitations(
    deps: DepsDep,
    principal: PrincipalDep,
    status: InvitationStatus | None = None,
    tenant_id: uuid.UUID | None = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    found, total = await invitations.list_invitations(
        deps, principal=principal, status=status, tenant_id=tenant_id, offset=offset, limit=limit
    )
    return {
        "invitations": [invitation_json(one) for one in found],
        "total": total,
        "count": len(found),
        "limit": limit,
        "offset": offset,
    }


async def create_invitation(
    body: CreateInvitationBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    created, _ = await invitations.create_invitation(
        deps,
        principal=principal,
        email=body.email,
        tenant_id=body.tenant_id or body.organization_id,
        role_id=body.role_id,
        message=body.message,
        expires_in_days=body.expires_in_days,
    )
    return invitation_json(created)


async def get_invitation(
    invitation_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    found = await invitations.get_invitation(deps, principal=principal, invitation_id=invitation_id)
    return invitation_json(found)


async def revoke_invitation(
    invitation_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    revoked = await invitations.revoke_invitation(
        deps, principal=principal, invitation_id=invitation_id
    )
    return invitation_json(revoked)


async def resend_invitation(
    invitation_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    resent, _ = await invitations.resend_invitation(
        deps, principal=principal, invitation_id=invitation_id
    )
    return invitation_json(resent)


async def validate_invitation(body: TokenBody, deps: DepsDep, meta: MetaDep) -> dict[str, Any]:
    preview = await invitations.validate_invitation(deps, token=body.token, meta=meta)
    return {
        "valid": True,
        "tenant_name": preview.tenant_name,
        "invited_by_name": preview.invited_by_name,
        "email": preview.email_masked,
        "role_name": preview.role_name,
        "message": preview.message,
        "expires_at": when(preview.expires_at),
    }


async def accept_invitation(
    body: AcceptBody, deps: DepsDep, meta: MetaDep, principal: OptionalPrincipalDep
) -> dict[str, Any]:
    accepted = await invitations.accept_invitation(
        deps,
        token=body.token,
        meta=meta,
        principal=principal,
        account=invitations.NewAccount(
            password=body.password,
            first_name=body.first_name,
            last_name=body.last_name,
            username=body.username,
        ),
        device_info=body.device_info,
    )
    answer: dict[str, Any] = login_json(accepted.pair) if accepted.pair else {}
    if accepted.enrollment is not None:
        answer = mfa_required_json(accepted.enrollment)
    tenant = accepted.tenant
    return {
        **answer,
        "message": "Invitation accepted",
        "account_created": accepted.created,
        "user": user_json(accepted.user),
        "tenant": {"id": str(tenant.id), "name": tenant.name, "slug": tenant.slug},
        "invitation": invitation_json(accepted.invitation),
    }


V1 = "/v1/invitations"
ONE = V1 + "/{invitation_id}"
MANAGE = " (invitations:manage)"

ROUTES = (
    row(
        "POST",
        V1 + "/public/validate",
        validate_invitation,
        "What an invitation token opens: tenant, inviter, masked address, role, expiry (public)",
        seeds="003",
        response=InvitationPreviewOut,
    ),
    row(
        "POST",
        V1 + "/public/accept",
        accept_invitation,
        "Accept an invitation: a new account (answered like a login), or the signed-in "
        "account of the invited address joins (public)",
        seeds="003",
        response=InvitationAcceptedOut,
    ),
    row(
        "GET",
        V1,
        list_invitations,
        "List invitations (status: pending, accepted, expired, revoked)" + MANAGE,
        seeds="003",
        response=InvitationsPageOut,
    ),
    row(
        "POST",
        V1,
        create_invitation,
        "Invite an address to a tenant and mail it a link" + MANAGE,
        seeds="003",
        response=InvitationOut,
        status_code=201,
    ),
    row("GET", ONE, get_invitation, "An invitation" + MANAGE, seeds="003", response=InvitationOut),
    row(
        "DELETE",
        ONE,
        revoke_invitation,
        "Revoke a pending invitation" + MANAGE,
        seeds="003",
        response=InvitationOut,
    ),
    row(
        "POST",
        ONE + "/resend",
        resend_invitation,
        "Mail a pending invitation again with a new token (the old one stops working)" + MANAGE,
        seeds="003",
        response=InvitationOut,
    ),
)
