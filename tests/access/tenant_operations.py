"""The access table's per-tenant operations: those naming a tenant's object (the tenant, its
location, invitation or role, or its member), walked by the access tests against a World
with a tenant's objects (``world(tenant=True)``).

Besides the callers of every operation (anonymous 401, an administrator without a needed
permission 403, the holder the success), another tenant's admin calls each one, holding
everything the holder holds in their own tenant: an ``aimed`` operation answers them 404
``RESOURCE_NOT_FOUND`` (GraphQL: NotFound, or null for a lookup) and changes nothing; a
``listed`` one answers without any of the tenant's objects. Both surfaces, SQLite and
PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from identity.permissions import Permission as P
from tests.access.operations import ERROR, ROLE_RESULT, USER_ROLES_RESULT, Graphql, Operation, rest
from tests.access.world import World

AIMED = "aimed"
LISTED = "listed"


def _tenant(world: World) -> dict[str, Any]:
    return {"id": str(world.tenant)}


def _location(world: World) -> dict[str, Any]:
    return {"id": str(world.location)}


def _invitation(world: World) -> dict[str, Any]:
    return {"id": str(world.invitation)}


def _member(world: World) -> dict[str, Any]:
    return {"t": str(world.tenant), "u": str(world.user)}


def _placement(world: World) -> dict[str, Any]:
    return {"u": str(world.user), "l": str(world.location)}


def aimed(needs: P, *routes: Any, graphql: Graphql | None = None) -> Operation:
    return Operation((needs,), rest=tuple(routes), graphql=graphql, tenant=AIMED)


TENANT_OPERATIONS = [
    aimed(
        P.TENANTS_READ,
        rest("GET", "/v1/tenants/{tenant}"),
        rest("GET", "/api/v1/organizations/{tenant}"),
        rest("GET", "/v1/tenants/{tenant}/stats"),
        graphql=Graphql("query($id: ID!) { tenant(id: $id) { slug } }", "tenant", _tenant),
    ),
    aimed(
        P.TENANTS_WRITE,
        rest("PUT", "/v1/tenants/{tenant}", lambda _: {"description": "changed"}),
        rest("PUT", "/api/v1/organizations/{tenant}", lambda _: {"description": "changed"}),
        graphql=Graphql(
            'mutation($id: ID!) { updateTenant(id: $id, input: {description: "changed"}) '
            f"{{ {ERROR} }} }}",
            "updateTenant",
            _tenant,
            "TenantPayload",
        ),
    ),
    aimed(
        P.TENANTS_WRITE,
        rest("DELETE", "/v1/tenants/{tenant}"),
        rest("DELETE", "/api/v1/organizations/{tenant}"),
        graphql=Graphql(
            f"mutation($id: ID!) {{ deleteTenant(id: $id) {{ {ERROR} }} }}",
            "deleteTenant",
            _tenant,
            "TenantDeleted",
        ),
    ),
    aimed(P.USERS_READ, rest("GET", "/v1/tenants/{tenant}/users")),
    aimed(
        P.USERS_WRITE,
        rest("POST", "/v1/tenants/{tenant}/users/{user}"),
        graphql=Graphql(
            f"mutation($t: ID!, $u: ID!) {{ addTenantMember(tenantId: $t, userId: $u) "
            f"{{ {ERROR} }} }}",
            "addTenantMember",
            _member,
            "TenantMemberPayload",
        ),
    ),
    aimed(
        P.USERS_WRITE,
        rest("DELETE", "/v1/tenants/{tenant}/users/{user}"),
        graphql=Graphql(
            f"mutation($t: ID!, $u: ID!) {{ removeTenantMember(tenantId: $t, userId: $u) "
            f"{{ {ERROR} }} }}",
            "removeTenantMember",
            _member,
            "TenantMemberPayload",
        ),
    ),
    aimed(
        P.LOCATIONS_READ,
        rest("GET", "/api/v1/locations/{location}"),
        rest("GET", "/api/v1/locations/{location}/users"),
        graphql=Graphql(
            "query($id: ID!) { location(id: $id) { code users { total } } }", "location", _location
        ),
    ),
    aimed(
        P.LOCATIONS_WRITE,
        rest(
            "POST",
            "/api/v1/locations",
            lambda w: {"name": "New", "code": "NEW", "organization_id": str(w.tenant)},
            201,
        ),
        graphql=Graphql(
            'mutation($t: ID!) { createLocation(input: {name: "New", code: "NEW", tenantId: $t})'
            f" {{ {ERROR} }} }}",
            "createLocation",
            lambda w: {"t": str(w.tenant)},
            "LocationPayload",
        ),
    ),
    aimed(
        P.LOCATIONS_WRITE,
        rest("PUT", "/api/v1/locations/{location}", lambda _: {"name": "Renamed"}),
        graphql=Graphql(
            'mutation($id: ID!) { updateLocation(id: $id, input: {name: "Renamed"}) '
            f"{{ {ERROR} }} }}",
            "updateLocation",
            _location,
            "LocationPayload",
        ),
    ),
    aimed(
        P.LOCATIONS_WRITE,
        rest("DELETE", "/api/v1/locations/{location}"),
        graphql=Graphql(
            f"mutation($id: ID!) {{ deleteLocation(id: $id) {{ {ERROR} }} }}",
            "deleteLocation",
            _location,
            "LocationDeleted",
        ),
    ),
    aimed(
        P.LOCATIONS_WRITE,
        rest(
            "POST",
            "/api/v1/locations/assign",
            lambda w: {"user_id": str(w.user), "location_ids": [str(w.location)]},
        ),
        graphql=Graphql(
            "mutation($u: ID!, $l: ID!) { assignLocations(input: {userId: $u, locationIds: [$l]})"
            f" {{ {ERROR} }} }}",
            "assignLocations",
            _placement,
            "UserLocationsPayload",
        ),
    ),
    aimed(
        P.LOCATIONS_WRITE,
        rest("DELETE", "/api/v1/locations/user/{user}/location/{location}"),
        graphql=Graphql(
            "mutation($u: ID!, $l: ID!) { removeUserLocation(userId: $u, locationId: $l) "
            f"{{ {ERROR} }} }}",
            "removeUserLocation",
            _placement,
            "UserLocationsPayload",
        ),
    ),
    Operation(
        (P.LOCATIONS_READ,),
        graphql=Graphql("{ locations(limit: 5) { id code } }", "locations"),
        tenant=LISTED,
    ),
    aimed(P.INVITATIONS_MANAGE, rest("GET", "/v1/invitations/{invitation}")),
    aimed(
        P.INVITATIONS_MANAGE,
        rest(
            "POST",
            "/v1/invitations",
            lambda w: {"email": "new@example.com", "tenant_id": str(w.tenant)},
            201,
        ),
        graphql=Graphql(
            'mutation($t: ID!) { createInvitation(input: {email: "new@example.com", tenantId: $t})'
            f" {{ {ERROR} }} }}",
            "createInvitation",
            lambda w: {"t": str(w.tenant)},
            "InvitationPayload",
        ),
    ),
    aimed(
        P.INVITATIONS_MANAGE,
        rest("DELETE", "/v1/invitations/{invitation}"),
        graphql=Graphql(
            f"mutation($id: ID!) {{ revokeInvitation(id: $id) {{ {ERROR} }} }}",
            "revokeInvitation",
            _invitation,
            "InvitationPayload",
        ),
    ),
    aimed(
        P.INVITATIONS_MANAGE,
        rest("POST", "/v1/invitations/{invitation}/resend"),
        graphql=Graphql(
            f"mutation($id: ID!) {{ resendInvitation(id: $id) {{ {ERROR} }} }}",
            "resendInvitation",
            _invitation,
            "InvitationPayload",
        ),
    ),
    aimed(
        P.ROLES_READ,
        rest("GET", "/api/v1/roles/{tenant_role}"),
        rest("GET", "/v1/admin/roles/{tenant_role}"),
        graphql=Graphql(
            "query($id: ID!) { role(id: $id) { name tenantId } }",
            "role",
            lambda w: {"id": str(w.tenant_role)},
        ),
    ),
    aimed(
        P.ROLES_WRITE,
        rest(
            "POST",
            "/v1/admin/roles",
            lambda w: {"name": "manager", "tenant_id": str(w.tenant)},
            201,
        ),
        rest(
            "POST",
            "/api/v1/roles",
            lambda w: {"name": "Manager", "organization_id": str(w.tenant)},
            201,
        ),
        graphql=Graphql(
            'mutation($t: ID!) { createRole(input: {name: "manager", tenantId: $t}) { '
            + ROLE_RESULT
            + " } }",
            "createRole",
            lambda w: {"t": str(w.tenant)},
            "RolePayload",
        ),
    ),
    aimed(
        P.ROLES_WRITE,
        rest("PUT", "/api/v1/roles/{tenant_role}", lambda _: {"description": "changed"}),
        graphql=Graphql(
            'mutation($id: ID!) { updateRole(id: $id, input: {description: "changed"}) { '
            + ROLE_RESULT
            + " } }",
            "updateRole",
            lambda w: {"id": str(w.tenant_role)},
            "RolePayload",
        ),
    ),
    aimed(
        P.USERS_WRITE,
        rest(
            "POST",
            "/api/v1/users/{user}/roles",
            lambda w: {"role_ids": [str(w.tenant_role)]},
        ),
        graphql=Graphql(
            "mutation($u: ID!, $r: [ID!]!) { assignUserRoles(userId: $u, roleIds: $r) { "
            + USER_ROLES_RESULT
            + " } }",
            "assignUserRoles",
            lambda w: {"u": str(w.user), "r": [str(w.tenant_role)]},
            "UserRolesPayload",
        ),
    ),
]

TENANT_REST_CASES = [
    (operation, route) for operation in TENANT_OPERATIONS for route in operation.rest
]
TENANT_GRAPHQL_CASES = [
    (operation, operation.graphql)
    for operation in TENANT_OPERATIONS
    if operation.graphql is not None
]
