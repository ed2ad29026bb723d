"""The roles a user holds: seed 003's ``/v1/admin/users/{id}/roles*`` and seed 004's
``/api/v1/users/{user_id}/roles``. Needs users:read to view, users:write to change (and
holding the permissions of a role to assign it; never the last super-admin's role).
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from identity.models import Role
from identity.rest.bodies import Body
from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.params import Id
from identity.rest.rbac_shapes import role_json
from identity.rest.responses.admin import UserRolesOut
from identity.rest.routing import row
from identity.services import roles


class RoleIdsBody(Body):
    """Seed 003 sends one ``role_id``; seed 004 a list, ``role_ids``."""

    role_id: uuid.UUID | None = None
    role_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)

    def ids(self) -> list[uuid.UUID]:
        return [*([self.role_id] if self.role_id else []), *self.role_ids]


def _held(user_id: Id, held: list[Role], message: str) -> dict[str, Any]:
    return {"message": message, "user_id": str(user_id), "roles": [role_json(r) for r in held]}


async def user_roles(user_id: Id, deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    held = await roles.user_roles(deps, principal=principal, user_id=user_id)
    return _held(user_id, held, "Roles of the user")


async def assign_role(
    user_id: Id, body: RoleIdsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    held = await roles.assign_roles(deps, principal=principal, user_id=user_id, role_ids=body.ids())
    return _held(user_id, held, "Role assigned")


async def remove_role(
    user_id: Id, role_id: Id, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    held = await roles.remove_roles(deps, principal=principal, user_id=user_id, role_ids=[role_id])
    return _held(user_id, held, "Role removed")


async def assign_roles(
    user_id: Id, body: RoleIdsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    held = await roles.assign_roles(deps, principal=principal, user_id=user_id, role_ids=body.ids())
    return _held(user_id, held, "Roles assigned")


async def remove_roles(
    user_id: Id, body: RoleIdsBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    held = await roles.remove_roles(deps, principal=principal, user_id=user_id, role_ids=body.ids())
    return _held(user_id, held, "Roles removed")


V1 = "/v1/admin/users/{user_id}/roles"
API_V1 = "/api/v1/users/{user_id}/roles"

ROUTES = (
    row(
        "POST",
        V1,
        assign_role,
        "Assign a role to a user (users:write; you must hold its permissions)",
        seeds="003",
        response=UserRolesOut,
    ),
    row(
        "DELETE",
        V1 + "/{role_id}",
        remove_role,
        "Remove a role from a user (users:write; never the last super-admin)",
        seeds="003",
        response=UserRolesOut,
    ),
    row(
        "GET",
        API_V1,
        user_roles,
        "The roles a user holds (users:read)",
        seeds="own",
        response=UserRolesOut,
    ),
    row(
        "POST",
        API_V1,
        assign_roles,
        "Assign roles to a user (users:write; you must hold their permissions)",
        seeds="004",
        response=UserRolesOut,
    ),
    row(
        "DELETE",
        API_V1,
        remove_roles,
        "Remove roles from a user (users:write; never the last super-admin)",
        seeds="004",
        response=UserRolesOut,
    ),
)
