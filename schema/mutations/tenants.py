"""Tenants and their members: mutations, each a thin call into the tenants service."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from identity.permissions import Permission
from identity.services._kit import UNSET
from identity.services.tenants import members, records
from schema.context import Context
from schema.declare import mutation, needs
from schema.errors import Conflict, NotFound, PermissionDenied, ValidationError
from schema.ids import parse_id
from schema.types.tenants import (
    CreateTenantInput,
    Tenant,
    TenantDeleted,
    TenantMemberPayload,
    TenantPayload,
    UpdateTenantInput,
    record_access,
)
from schema.types.user import User

CreateTenantResult = Annotated[
    TenantPayload | ValidationError | Conflict | NotFound | PermissionDenied,
    strawberry.union("CreateTenantResult", description="The new tenant, or why not."),
]
UpdateTenantResult = Annotated[
    TenantPayload | ValidationError | Conflict | NotFound | PermissionDenied,
    strawberry.union("UpdateTenantResult", description="The changed tenant, or why not."),
]
DeleteTenantResult = Annotated[
    TenantDeleted | NotFound | PermissionDenied,
    strawberry.union("DeleteTenantResult", description="It was deleted, or why not."),
]
AddTenantMemberResult = Annotated[
    TenantMemberPayload | NotFound | Conflict | PermissionDenied,
    strawberry.union(
        "AddTenantMemberResult",
        description="The membership, or why not (TENANT_FULL, TENANT_INACTIVE: Conflict).",
    ),
]
RemoveTenantMemberResult = Annotated[
    TenantMemberPayload | NotFound | PermissionDenied,
    strawberry.union("RemoveTenantMemberResult", description="It was removed, or why not."),
]


def _changes(input: UpdateTenantInput) -> records.TenantChanges:
    sent: dict[str, Any] = {
        name: value
        for name, value in vars(input).items()
        if value is not strawberry.UNSET and value is not UNSET
    }
    for required in ("name", "slug", "is_active", "allow_self_registration"):
        if required in sent and sent[required] is None:
            del sent[required]  # null for a required field: left as it is
    return records.TenantChanges(**sent)


@strawberry.type
class TenantsMutations:
    @mutation(
        "Create a tenant with its `admin` role; with ownerId, that user joins holding it. "
        "Needs tenants:write in every tenant.",
        access=needs(Permission.TENANTS_WRITE),
    )
    async def create_tenant(
        self, info: Info[Context, None], input: CreateTenantInput
    ) -> CreateTenantResult:
        created = await records.create_tenant(
            info.context.deps,
            principal=await info.context.principal(),
            new=records.NewTenant(
                name=input.name,
                slug=input.slug,
                description=input.description,
                max_users=input.max_users,
                is_active=input.is_active,
                allow_self_registration=input.allow_self_registration,
                owner_id=parse_id(input.owner_id, field="ownerId") if input.owner_id else None,
            ),
        )
        return TenantPayload(tenant=Tenant.from_details(created))

    @mutation(
        "Change a tenant (held in one tenant only: its name and description); isActive false "
        "ends the sessions acting in it at once.",
        access=record_access(Permission.TENANTS_WRITE),
    )
    async def update_tenant(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdateTenantInput
    ) -> UpdateTenantResult:
        updated = await records.update_tenant(
            info.context.deps,
            principal=await info.context.principal(),
            tenant_id=parse_id(id),
            changes=_changes(input),
        )
        return TenantPayload(tenant=Tenant.from_details(updated))

    @mutation(
        "Delete a tenant with its memberships, roles, locations and invitations, ending the "
        "sessions acting in it; accounts remain. Needs tenants:write in every tenant.",
        access=record_access(Permission.TENANTS_WRITE),
    )
    async def delete_tenant(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> DeleteTenantResult:
        tenant_id = parse_id(id)
        await records.delete_tenant(
            info.context.deps, principal=await info.context.principal(), tenant_id=tenant_id
        )
        return TenantDeleted(id=strawberry.ID(str(tenant_id)))

    @mutation(
        "Add a member to a tenant (reaching it; an account outside your tenant is not "
        "found); TENANT_FULL past maxUsers, TENANT_INACTIVE for an inactive tenant.",
        access=needs(Permission.USERS_WRITE),
    )
    async def add_tenant_member(
        self, info: Info[Context, None], tenant_id: strawberry.ID, user_id: strawberry.ID
    ) -> AddTenantMemberResult:
        change = await members.add_member(
            info.context.deps,
            principal=await info.context.principal(),
            tenant_id=parse_id(tenant_id, field="tenantId"),
            user_id=parse_id(user_id, field="userId"),
        )
        return TenantMemberPayload(
            tenant_id=tenant_id, user=User.from_model(change.user), changed=change.changed
        )

    @mutation(
        "Remove a member from a tenant (reaching it), with the roles and locations they had "
        "there; their sessions acting in it end.",
        access=needs(Permission.USERS_WRITE),
    )
    async def remove_tenant_member(
        self, info: Info[Context, None], tenant_id: strawberry.ID, user_id: strawberry.ID
    ) -> RemoveTenantMemberResult:
        change = await members.remove_member(
            info.context.deps,
            principal=await info.context.principal(),
            tenant_id=parse_id(tenant_id, field="tenantId"),
            user_id=parse_id(user_id, field="userId"),
        )
        return TenantMemberPayload(
            tenant_id=tenant_id, user=User.from_model(change.user), changed=change.changed
        )
