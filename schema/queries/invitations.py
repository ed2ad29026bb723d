"""Invitations: the administrators' list, and the public look at a token."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from identity.errors import InvitationInvalid
from identity.models import InvitationStatus
from identity.permissions import Permission as PermissionName
from identity.services import invitations
from schema.context import Context
from schema.declare import PUBLIC, needs, query
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
        offset: int = 0,
        limit: int = 50,
    ) -> InvitationList:
        check_list_arguments(offset=offset, limit=limit, max_limit=invitations.MAX_PAGE)
        found, total = await invitations.list_invitations(
            info.context.deps,
            principal=await info.context.principal(),
            status=status,
            tenant_id=None,
            offset=offset,
            limit=limit,
        )
        return InvitationList(items=[Invitation.from_details(one) for one in found], total=total)

    @query(
        "What an invitation token opens (tenant, inviter, masked address, role, expiry); null "
        "for an unknown, used, revoked or expired token alike (a lookup; REST answers "
        "INVITATION_INVALID).",
        access=PUBLIC,
    )
    async def invitation(
        self, info: Info[Context, None], token: str
    ) -> InvitationPreviewType | None:
        try:
            preview = await invitations.validate_invitation(
                info.context.deps, token=token, meta=info.context.meta
            )
        except InvitationInvalid:
            return None
        return InvitationPreviewType.from_preview(preview)
