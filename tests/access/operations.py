"""The one table of operations the access tests walk, for both surfaces.

Each row is an operation: the permission(s) it needs, its REST routes (method, path, a body
made from the targets, the success status) and/or its GraphQL document. Anonymous callers
are refused with 401 ``AUTHENTICATION_REQUIRED`` (GraphQL: that code), signed-in callers
without a needed permission with 403 ``PERMISSION_DENIED``; the holder succeeds. A
``viewing`` row is open to every signed-in user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from identity.permissions import Permission as P
from tests.access.world import World
from tests.factories import PASSWORD

Body = Callable[[World], dict[str, Any] | None]
Variables = Callable[[World], dict[str, Any]]


def no_body(_world: World) -> None:
    return None


def no_variables(_world: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class Rest:
    method: str
    path: str  # targets by name: "/api/v1/users/{user}"
    body: Body = no_body
    status: int = 200
    label: str = ""

    def __str__(self) -> str:
        return self.label or f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Graphql:
    document: str
    field: str  # the root field the document calls
    variables: Variables = no_variables
    typename: str | None = None  # the success's ``__typename``
    label: str = ""

    def __str__(self) -> str:
        return self.label or self.field


@dataclass(frozen=True, slots=True)
class Operation:
    needs: tuple[P, ...]
    rest: tuple[Rest, ...] = ()
    graphql: Graphql | None = None
    also: tuple[P, ...] = ()  # held by the holder for the payload's sake
    viewing: bool = False
    documents: tuple[P, ...] | None = None  # named in the field's description (default: needs[0])
    notes: str = field(default="", compare=False)
    tenant: str = ""  # per-tenant (tests/access/tenant_operations.py): "aimed" or "listed"


def rest(method: str, path: str, body: Body = no_body, status: int = 200, label: str = "") -> Rest:
    return Rest(method, path, body, status, label)


ERROR = "__typename ... on Error { code }"
ROLE_RESULT = "__typename ... on RolePayload { role { name } } ... on Error { code message }"
USER_ROLES_RESULT = "__typename ... on UserRolesPayload { roles { name } } ... on Error { code }"
PERMISSION_RESULT = (
    "__typename ... on PermissionPayload { permission { name } } ... on Error { code message }"
)


def _new_user(_world: World) -> dict[str, Any]:
    return {"email": "new@example.com", "password": PASSWORD, "first_name": "Jane"}


def _user_input(value: dict[str, Any]) -> Variables:
    return lambda world: {"id": str(world.user), "input": value}


def _user_id(world: World) -> dict[str, Any]:
    return {"id": str(world.user)}


def _bulk(action: str, needs: P) -> Operation:
    return Operation(
        (needs,),
        rest=(
            rest(
                "POST",
                "/api/v1/users/bulk-actions",
                lambda world: {"user_ids": [str(world.user)], "action": action, "reason": "matrix"},
                label=f"POST /api/v1/users/bulk-actions {action}",
            ),
        ),
        graphql=Graphql(
            "mutation($input: BulkUserActionInput!) "
            f"{{ bulkUserAction(input: $input) {{ {ERROR} }} }}",
            "bulkUserAction",
            lambda world: {"input": {"userIds": [str(world.user)], "action": action.upper()}},
            "BulkUserActionPayload",
            label=f"bulkUserAction {action.upper()}",
        ),
        documents=(),  # the permission depends on the action
    )


NEW_ADMIN = {
    "email": "newadmin@example.com",
    "password": PASSWORD,
    "role": "admin3",
    "permissions": ["users:read"],
}

USERS = [
    Operation(
        (P.USERS_READ,),
        rest=(
            rest("GET", "/api/v1/users?page=1&size=5"),
            rest("GET", "/api/v1/users?skip=0&limit=5", label="GET /api/v1/users (skip, limit)"),
            rest("GET", "/api/v1/admin/users"),
            rest("GET", "/v1/users?limit=5"),
        ),
        graphql=Graphql(
            "{ users(first: 5) { __typename totalCount edges { node { roles { name } } } } }",
            "users",
            typename="UserConnection",
        ),
    ),
    Operation(
        (P.USERS_READ,),
        rest=(rest("GET", "/api/v1/users/{user}"), rest("GET", "/v1/users/{user}")),
        graphql=Graphql(
            "query($id: ID!) { user(id: $id) { __typename id } }", "user", _user_id, "User"
        ),
    ),
    Operation(
        (P.USERS_WRITE,),
        rest=(
            rest("POST", "/api/v1/users", _new_user, 201),
            rest("POST", "/v1/users", _new_user, 201),
        ),
        graphql=Graphql(
            f"mutation($input: CreateUserInput!) {{ createUser(input: $input) {{ {ERROR} }} }}",
            "createUser",
            lambda _: {"input": {"email": "new@example.com", "password": PASSWORD}},
            "UserPayload",
        ),
    ),
    Operation(
        (P.USERS_WRITE, P.PERMISSIONS_WRITE),
        rest=(rest("POST", "/api/v1/admin/users", lambda _: NEW_ADMIN, 201),),
        graphql=Graphql(
            "mutation($input: CreateUserInput!) "
            f"{{ createAdminUser(input: $input) {{ {ERROR} }} }}",
            "createAdminUser",
            lambda _: {"input": NEW_ADMIN},
            "UserPayload",
        ),
        also=(P.USERS_READ,),  # admin3 grants users:read: only a holder may hand it out
    ),
    Operation(
        (P.USERS_WRITE,),
        rest=(
            rest("PATCH", "/api/v1/users/{user}", lambda _: {"first_name": "Updated Name"}),
            rest("PUT", "/v1/users/{user}", lambda _: {"first_name": "Jane"}),
        ),
        graphql=Graphql(
            "mutation($id: ID!, $input: UpdateUserInput!) "
            f"{{ updateUser(id: $id, input: $input) {{ {ERROR} }} }}",
            "updateUser",
            _user_input({"firstName": "Jane"}),
            "UserPayload",
        ),
    ),
    Operation(
        (P.USERS_WRITE,),
        rest=(
            rest(
                "PUT",
                "/api/v1/users/{user}",
                lambda _: {"first_name": "Jane", "last_name": "Doe", "is_active": True},
            ),
        ),
        graphql=Graphql(
            "mutation($id: ID!, $input: UpdateUserInput!) "
            f"{{ replaceUser(id: $id, input: $input) {{ {ERROR} }} }}",
            "replaceUser",
            _user_input({"firstName": "Jane", "lastName": "Doe"}),
            "UserPayload",
        ),
    ),
    Operation(
        (P.USERS_DELETE,),
        rest=(
            rest("DELETE", "/api/v1/users/{user}", status=204),
            rest("DELETE", "/v1/users/{user}"),
        ),
        graphql=Graphql(
            f"mutation($id: ID!) {{ deleteUser(id: $id) {{ {ERROR} }} }}",
            "deleteUser",
            _user_id,
            "UserDeleted",
        ),
    ),
    Operation(
        (P.USERS_LOCK,),
        rest=(
            rest(
                "POST",
                "/api/v1/users/{user}/lock",
                lambda _: {"reason": "Security violation", "duration_minutes": 60},
            ),
        ),
        graphql=Graphql(
            "mutation($id: ID!, $input: LockUserInput) "
            f"{{ lockUser(id: $id, input: $input) {{ {ERROR} }} }}",
            "lockUser",
            _user_input({"reason": "matrix", "durationMinutes": 5}),
            "UserPayload",
        ),
    ),
    Operation(
        (P.USERS_LOCK,),
        rest=(rest("POST", "/api/v1/users/{user}/unlock"),),
        graphql=Graphql(
            f"mutation($id: ID!) {{ unlockUser(id: $id) {{ {ERROR} }} }}",
            "unlockUser",
            _user_id,
            "UserPayload",
        ),
    ),
    _bulk("activate", P.USERS_WRITE),
    _bulk("deactivate", P.USERS_WRITE),
    _bulk("lock", P.USERS_LOCK),
    _bulk("unlock", P.USERS_LOCK),
    _bulk("delete", P.USERS_DELETE),
    Operation(
        (P.USERS_WRITE,),
        rest=(
            rest(
                "POST",
                "/api/v1/users/bulk-actions",
                lambda world: {
                    "user_ids": [str(world.user)],
                    "action": "assign_role",
                    "role": "admin3",
                },
                label="POST /api/v1/users/bulk-actions assign_role",
            ),
        ),
        also=(P.USERS_READ,),  # admin3 grants users:read: only a holder may hand it out
    ),
    Operation(
        (P.USERS_WRITE, P.PERMISSIONS_WRITE),
        rest=(
            rest(
                "PUT",
                "/api/v1/admin/users/{user}/permissions",
                lambda _: {"permissions": ["users:write"]},
            ),
        ),
        graphql=Graphql(
            "mutation($id: ID!, $permissions: [String!]!) "
            f"{{ setUserPermissions(id: $id, permissions: $permissions) {{ {ERROR} }} }}",
            "setUserPermissions",
            lambda world: {"id": str(world.user), "permissions": ["users:write"]},
            "UserPermissionsPayload",
        ),
        documents=(P.USERS_WRITE, P.PERMISSIONS_WRITE),
    ),
]

ROLES = [
    Operation(
        (P.ROLES_READ,),
        rest=(
            rest("GET", "/v1/admin/roles"),
            rest("GET", "/api/v1/roles?skip=0&limit=100&search=&is_active=true"),
        ),
        graphql=Graphql("{ roles { id name permissions { name } } }", "roles"),
    ),
    Operation(
        (P.ROLES_READ,),
        rest=(rest("GET", "/v1/admin/roles/{role}"), rest("GET", "/api/v1/roles/{role}")),
        graphql=Graphql(
            "query($id: ID!) { role(id: $id) { name permissions { name } } }",
            "role",
            lambda world: {"id": str(world.role)},
        ),
    ),
    Operation(
        (P.ROLES_READ,),
        rest=(rest("GET", "/v1/admin/roles/{role}/permissions"),),
    ),
    Operation(
        (P.ROLES_WRITE,),
        rest=(
            rest("POST", "/v1/admin/roles", lambda _: {"name": "manager", "description": "x"}, 201),
            rest("POST", "/api/v1/roles", lambda _: {"name": "Manager", "is_active": True}, 201),
        ),
        graphql=Graphql(
            "mutation($input: CreateRoleInput!) { createRole(input: $input) { "
            + ROLE_RESULT
            + " } }",
            "createRole",
            lambda world: {"input": {"name": "manager", "permissionIds": [str(world.grantable)]}},
            "RolePayload",
        ),
    ),
    Operation(
        (P.ROLES_WRITE,),
        rest=(
            rest("PUT", "/v1/admin/roles/{role}", lambda _: {"description": "Updated description"}),
            rest("PUT", "/api/v1/roles/{role}", lambda _: {"name": "Updated Manager"}),
        ),
        graphql=Graphql(
            "mutation($id: ID!, $input: UpdateRoleInput!) { updateRole(id: $id, input: $input) "
            "{ " + ROLE_RESULT + " } }",
            "updateRole",
            lambda world: {"id": str(world.role), "input": {"description": "changed"}},
            "RolePayload",
        ),
    ),
    Operation(
        (P.ROLES_WRITE,),
        rest=(rest("DELETE", "/v1/admin/roles/{role}"), rest("DELETE", "/api/v1/roles/{role}")),
        graphql=Graphql(
            "mutation($id: ID!) { deleteRole(id: $id) { __typename ... on Error { code } } }",
            "deleteRole",
            lambda world: {"id": str(world.role)},
            "RoleDeleted",
        ),
    ),
    Operation(
        (P.ROLES_WRITE,),
        rest=(
            rest(
                "POST",
                "/v1/admin/roles/{role}/permissions",
                lambda world: {"permission_id": str(world.grantable)},
            ),
            rest(
                "POST",
                "/api/v1/roles/{role}/permissions",
                lambda world: {"permission_ids": [str(world.grantable)]},
            ),
        ),
        graphql=Graphql(
            "mutation($r: ID!, $p: [ID!]!) { grantRolePermissions(roleId: $r, permissionIds: $p) "
            "{ " + ROLE_RESULT + " } }",
            "grantRolePermissions",
            lambda world: {"r": str(world.role), "p": [str(world.grantable)]},
            "RolePayload",
        ),
    ),
    Operation(
        (P.ROLES_WRITE,),
        rest=(
            rest("DELETE", "/v1/admin/roles/{role}/permissions/{builtin}"),
            rest(
                "DELETE",
                "/api/v1/roles/{role}/permissions",
                lambda world: {"permission_ids": [str(world.builtin)]},
            ),
        ),
        graphql=Graphql(
            "mutation($r: ID!, $p: [ID!]!) { revokeRolePermissions(roleId: $r, permissionIds: $p) "
            "{ " + ROLE_RESULT + " } }",
            "revokeRolePermissions",
            lambda world: {"r": str(world.role), "p": [str(world.builtin)]},
            "RolePayload",
        ),
    ),
    Operation(
        (P.USERS_READ,),
        rest=(rest("GET", "/api/v1/users/{user}/roles"),),
    ),
    Operation(
        (P.USERS_WRITE,),
        rest=(
            rest(
                "POST",
                "/v1/admin/users/{user}/roles",
                lambda world: {"role_id": str(world.spare_role)},
            ),
            rest(
                "POST",
                "/api/v1/users/{user}/roles",
                lambda world: {"role_ids": [str(world.spare_role)]},
            ),
        ),
        graphql=Graphql(
            "mutation($u: ID!, $r: [ID!]!) { assignUserRoles(userId: $u, roleIds: $r) { "
            + USER_ROLES_RESULT
            + " } }",
            "assignUserRoles",
            lambda world: {"u": str(world.user), "r": [str(world.spare_role)]},
            "UserRolesPayload",
        ),
    ),
    Operation(
        (P.USERS_WRITE,),
        rest=(
            rest("DELETE", "/v1/admin/users/{user}/roles/{empty_role}"),
            rest(
                "DELETE",
                "/api/v1/users/{user}/roles",
                lambda world: {"role_ids": [str(world.empty_role)]},
            ),
        ),
        graphql=Graphql(
            "mutation($u: ID!, $r: [ID!]!) { removeUserRoles(userId: $u, roleIds: $r) { "
            + USER_ROLES_RESULT
            + " } }",
            "removeUserRoles",
            lambda world: {"u": str(world.user), "r": [str(world.empty_role)]},
            "UserRolesPayload",
        ),
    ),
]

PERMISSIONS = [
    Operation(
        (P.PERMISSIONS_READ,),
        rest=(rest("GET", "/v1/admin/permissions"), rest("GET", "/api/v1/permissions")),
    ),
    Operation(
        (P.PERMISSIONS_WRITE,),
        rest=(
            rest(
                "POST",
                "/api/v1/permissions",
                lambda _: {
                    "name": "user:create",
                    "description": "Create users",
                    "resource": "user",
                    "action": "create",
                },
                201,
            ),
        ),
        graphql=Graphql(
            "mutation($input: CreatePermissionInput!) { createPermission(input: $input) { "
            + PERMISSION_RESULT
            + " } }",
            "createPermission",
            lambda _: {"input": {"name": "user:create", "description": "Create users"}},
            "PermissionPayload",
        ),
    ),
    Operation(
        (P.PERMISSIONS_WRITE,),
        rest=(
            rest(
                "PUT",
                "/api/v1/permissions/{permission}",
                lambda _: {
                    "name": "user:update",
                    "description": "Update users",
                    "resource": "user",
                    "action": "update",
                },
            ),
        ),
        graphql=Graphql(
            "mutation($id: ID!, $input: UpdatePermissionInput!) { "
            "updatePermission(id: $id, input: $input) { " + PERMISSION_RESULT + " } }",
            "updatePermission",
            lambda world: {"id": str(world.permission), "input": {"description": "changed"}},
            "PermissionPayload",
        ),
    ),
    Operation(
        (P.PERMISSIONS_WRITE,),
        rest=(rest("DELETE", "/api/v1/permissions/{permission}"),),
        graphql=Graphql(
            "mutation($id: ID!) { deletePermission(id: $id) { __typename ... on Error { code } } }",
            "deletePermission",
            lambda world: {"id": str(world.permission)},
            "PermissionDeleted",
        ),
    ),
    # Seed 004: "All authenticated users (view)"; the needed permission is the one the
    # administrators' flat listing needs, which these do not.
    Operation(
        (P.PERMISSIONS_READ,),
        rest=(rest("GET", "/api/v1/permissions/grouped?search=&resource=&action="),),
        graphql=Graphql(
            "{ permissionGroups { resource permissions { name } } }", "permissionGroups"
        ),
        viewing=True,
    ),
    Operation(
        (P.PERMISSIONS_READ,),
        rest=(rest("GET", "/api/v1/permissions/{builtin}"),),
        graphql=Graphql(
            "query($id: ID!) { permission(id: $id) { name isSystem } }",
            "permission",
            lambda world: {"id": str(world.builtin)},
        ),
        viewing=True,
    ),
    Operation(
        (P.PERMISSIONS_READ,),
        graphql=Graphql("{ permissions { name } }", "permissions"),
        viewing=True,
    ),
]

SETTINGS = [
    Operation(
        (P.SETTINGS_READ,),
        rest=(rest("GET", "/v1/admin/settings"),),
        graphql=Graphql("{ settings { key value } }", "settings"),
    ),
    Operation(
        (P.SETTINGS_READ,),
        rest=(rest("GET", "/v1/admin/services"),),
        graphql=Graphql("{ serviceStatus { status components { name } } }", "serviceStatus"),
    ),
    Operation(
        (P.SETTINGS_WRITE,),
        rest=(
            rest("PATCH", "/v1/admin/settings/registration_enabled", lambda _: {"value": False}),
        ),
        graphql=Graphql(
            'mutation { updateSetting(key: "lockout_threshold", value: 7) { __typename '
            "... on SettingPayload { setting { value } } ... on Error { code message } } }",
            "updateSetting",
            typename="SettingPayload",
        ),
    ),
]

INVITATIONS = [
    Operation(
        (P.INVITATIONS_MANAGE,),
        rest=(rest("GET", "/v1/invitations?status=pending&limit=5"),),
        graphql=Graphql(
            "{ invitations(status: PENDING, limit: 5) { total items { id status } } }",
            "invitations",
        ),
    ),
]

TENANT_RESULT = "__typename ... on TenantPayload { tenant { slug } } ... on Error { code }"

# Per-tenant operations (a tenant's id in the path) need a tenant among the World's targets;
# until it has one, tests/rest/tenants and tests/graphql/tenants cover them.
TENANTS = [
    Operation(
        (P.TENANTS_READ,),
        rest=(
            rest("GET", "/v1/tenants?limit=5&offset=0"),
            rest("GET", "/api/v1/organizations?page=1&size=5&is_active=true"),
        ),
        graphql=Graphql("{ tenants(first: 5) { totalCount edges { node { slug } } } }", "tenants"),
    ),
    Operation(
        (P.TENANTS_WRITE,),
        rest=(
            rest("POST", "/v1/tenants", lambda _: {"name": "Acme", "slug": "acme"}, 201),
            rest("POST", "/api/v1/organizations", lambda _: {"name": "Acme", "slug": "acme"}, 201),
        ),
        graphql=Graphql(
            'mutation { createTenant(input: {name: "Acme", slug: "acme"}) { '
            + TENANT_RESULT
            + " } }",
            "createTenant",
            typename="TenantPayload",
        ),
    ),
]

# Operations on one location need a location (so a tenant) among the World's targets, and the
# GraphQL lists answer [] without one (the matrix wants data); until the World has them,
# tests/rest/locations and tests/graphql/locations cover them.
LOCATIONS = [
    Operation(
        (P.LOCATIONS_READ,),
        rest=(rest("GET", "/api/v1/locations?skip=0&limit=100&search=&is_active=true"),),
    ),
    Operation(
        (P.LOCATIONS_READ,),
        rest=(rest("GET", "/api/v1/locations/user/{user}"),),
    ),
]

MFA = [
    Operation(
        (P.USERS_WRITE,),
        rest=(rest("POST", "/v1/admin/users/{user}/mfa/reset"),),
        graphql=Graphql(
            f"mutation($id: ID!) {{ resetUserMfa(userId: $id) {{ {ERROR} }} }}",
            "resetUserMfa",
            _user_id,
            "MfaDisabled",
        ),
    ),
]

OPERATIONS = [*USERS, *ROLES, *PERMISSIONS, *SETTINGS, *INVITATIONS, *TENANTS, *LOCATIONS, *MFA]

REST_CASES = [(operation, route) for operation in OPERATIONS for route in operation.rest]
GRAPHQL_CASES = [
    (operation, operation.graphql) for operation in OPERATIONS if operation.graphql is not None
]
