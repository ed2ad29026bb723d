"""Invitations: the administrators' list, and the public look at a token."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from identity.models import InvitationStatus
from identity.permissions import Permission as PermissionName
from identity.services import invitations
from schema.context import Context
from schema.declare import PUBLIC, needs, query
from schema.ids import parse_id
from schema.types.invitations import Invitation, InvitationList, InvitationPreviewType
from schema.types.pagination import check_list_arguments


@strawberry.type
class InvitationsQuery:
    @query(
        "Invitations where your permission reaches, newest first; `status` filters (EXPIRED: "
        "pending past expiry); `offset` at most 1000000, `limit` 1 to 100.",
        access=needs(PermissionName.INVITATIONS_MANAGE),
    )
    async def invitations(
        self,
        info: Info[Context, None],
        status: InvitationStatus | None = None,
        tenant_id: strawberry.ID | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> InvitationList:
        check_list_arguments(offset=offset, limit=limit, max_limit=invitations.MAX_PAGE)
        found, total = await invitations.list_invitations(
            info.context.deps,
            principal=await info.context.principal(),
            status=status,
            tenant_id=parse_id(tenant_id, field="tenantId") if tenant_id else None,
            offset=offset,
            limit=limit,
        )
        return InvitationList(items=[Invitation.from_details(one) for one in found], total=total)

    @query(
        "What an invitation token opens (tenant, inviter, masked address, role, expiry). "
        "An unknown, used, revoked or expired token is one error: INVITATION_INVALID.",
        access=PUBLIC,
    )
    async def invitation(self, info: Info[Context, None], token: str) -> InvitationPreviewType:
        preview = await invitations.validate_invitation(
            info.context.deps, token=token, meta=info.context.meta
        )
        return InvitationPreviewType.from_preview(preview)
