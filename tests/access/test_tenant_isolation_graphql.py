"""The tenant-isolation matrix over GraphQL (issue 13): every mutation and lookup that names
a tenant's object, performed by A's admin on B's objects, answers NotFound (a lookup: null)
and changes nothing. The matrix reads the schema: a mutation it does not know fails
``test_the_matrix_knows_every_mutation``. The world is the REST matrix's. SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from schema.app import build_schema
from tests.access import test_tenant_isolation as rest_matrix
from tests.access.test_tenant_isolation import World, _fill
from tests.support.graphql import gql
from tests.support.snapshot import snapshot

ERROR = "__typename ... on Error { code }"
world = rest_matrix.world
"""The REST matrix's two tenants and their objects."""


def doc(signature: str, call: str) -> str:
    """A mutation document: ``call`` with ``signature``'s variables, answering its type."""
    return f"mutation({signature}) {{ {call} {{ {ERROR} }} }}"


AIMED: dict[str, tuple[str, dict[str, Any]]] = {
    "updateRole": (
        doc("$id: ID!", 'updateRole(id: $id, input: {description: "x"})'),
        {"id": "{role_id}"},
    ),
    "deleteRole": (
        doc("$id: ID!", "deleteRole(id: $id)"),
        {"id": "{role_id}"},
    ),
    "grantRolePermissions": (
        f"mutation($id: ID!, $p: ID!) {{ grantRolePermissions(roleId: $id, permissionIds: [$p])"
        f" {{ {ERROR} }} }}",
        {"id": "{role_id}", "p": "{permission_id}"},
    ),
    "revokeRolePermissions": (
        f"mutation($id: ID!, $p: ID!) {{ revokeRolePermissions(roleId: $id, permissionIds: [$p])"
        f" {{ {ERROR} }} }}",
        {"id": "{role_id}", "p": "{permission_id}"},
    ),
    "assignUserRoles": (
        doc("$u: ID!, $r: ID!", "assignUserRoles(userId: $u, roleIds: [$r])"),
        {"u": "{own_user_id}", "r": "{role_id}"},
    ),
    "removeUserRoles": (
        doc("$u: ID!, $r: ID!", "removeUserRoles(userId: $u, roleIds: [$r])"),
        {"u": "{user_id}", "r": "{role_id}"},
    ),
    "updateUser": (
        doc("$id: ID!", 'updateUser(id: $id, input: {firstName: "T"})'),
        {"id": "{user_id}"},
    ),
    "replaceUser": (
        doc("$id: ID!", 'replaceUser(id: $id, input: {firstName: "T"})'),
        {"id": "{user_id}"},
    ),
    "deleteUser": (
        doc("$id: ID!", "deleteUser(id: $id)"),
        {"id": "{user_id}"},
    ),
    "lockUser": (doc("$id: ID!", "lockUser(id: $id)"), {"id": "{user_id}"}),
    "unlockUser": (
        doc("$id: ID!", "unlockUser(id: $id)"),
        {"id": "{user_id}"},
    ),
    "revokeInvitation": (
        doc("$id: ID!", "revokeInvitation(id: $id)"),
        {"id": "{invitation_id}"},
    ),
    "resendInvitation": (
        doc("$id: ID!", "resendInvitation(id: $id)"),
        {"id": "{invitation_id}"},
    ),
    "createInvitation": (
        f'mutation($t: ID!) {{ createInvitation(input: {{email: "spy@example.com", tenantId: $t}})'
        f" {{ {ERROR} }} }}",
        {"t": "{tenant_id}"},
    ),
    "createLocation": (
        f'mutation($t: ID!) {{ createLocation(input: {{name: "Spy", code: "SPY", tenantId: $t}})'
        f" {{ {ERROR} }} }}",
        {"t": "{tenant_id}"},
    ),
    "updateLocation": (
        doc("$id: ID!", 'updateLocation(id: $id, input: {name: "T"})'),
        {"id": "{location_id}"},
    ),
    "deleteLocation": (
        doc("$id: ID!", "deleteLocation(id: $id)"),
        {"id": "{location_id}"},
    ),
    "assignLocations": (
        f"mutation($u: ID!, $l: ID!) {{ assignLocations(input: {{userId: $u, locationIds: [$l]}})"
        f" {{ {ERROR} }} }}",
        {"u": "{user_id}", "l": "{location_id}"},
    ),
    "removeUserLocation": (
        f"mutation($u: ID!, $l: ID!) {{ removeUserLocation(userId: $u, locationId: $l)"
        f" {{ {ERROR} }} }}",
        {"u": "{user_id}", "l": "{location_id}"},
    ),
    "createRole": (
        doc("$t: ID!", 'createRole(input: {name: "Spy", tenantId: $t})'),
        {"t": "{tenant_id}"},
    ),
    "updateTenant": (
        doc("$id: ID!", 'updateTenant(id: $id, input: {description: "x"})'),
        {"id": "{tenant_id}"},
    ),
    "deleteTenant": (
        doc("$id: ID!", "deleteTenant(id: $id)"),
        {"id": "{tenant_id}"},
    ),
    "addTenantMember": (
        doc("$t: ID!, $u: ID!", "addTenantMember(tenantId: $t, userId: $u)"),
        {"t": "{tenant_id}", "u": "{own_user_id}"},
    ),
    "removeTenantMember": (
        doc("$t: ID!, $u: ID!", "removeTenantMember(tenantId: $t, userId: $u)"),
        {"t": "{tenant_id}", "u": "{user_id}"},
    ),
    "resetUserMfa": (
        doc("$u: ID!", "resetUserMfa(userId: $u)"),
        {"u": "{user_id}"},
    ),
}
"""Each mutation aimed at tenant B's objects (names as in the REST matrix's world)."""

UNAIMED: dict[str, str] = {
    **dict.fromkeys(
        (
            "register login refreshToken logout changePassword updateProfile switchTenant "
            "revokeSession revokeOtherSessions sendVerificationEmail resendVerificationEmail "
            "verifyEmail requestPasswordReset resetPassword requestMagicLink verifyMagicLink "
            "requestEmailChange confirmEmailChange"
        ).split(),
        "the caller's own account and sessions (switchTenant: tests/graphql/me)",
    ),
    **dict.fromkeys(
        "createPermission updatePermission deletePermission updateSetting".split(),
        "global: the permission catalogue and runtime settings (not held by a tenant admin)",
    ),
    "createUser": "creates in the caller's tenant (tests/graphql/me, tests/rest/users)",
    "createAdminUser": "creates a global administrator: refused to a tenant admin",
    "bulkUserAction": "one outcome per account: B's answer not found (REST matrix, same service)",
    "setUserPermissions": "direct grants: needs permissions:write everywhere (403 for anyone)",
    "acceptInvitation": "public, by token",
    "createTenant": "creating a tenant names no other tenant's object",
    **dict.fromkeys(
        (
            "setupTotp enableTotp disableMfa regenerateBackupCodes setPreferredMfaMethod "
            "reauthenticate"
        ).split(),
        "the caller's own second factors and session",
    ),
    **dict.fromkeys(
        "completeMfaLogin sendEmailMfaCode enableEmailMfa disableEmailMfa".split(),
        "the login step: a pending login by its token, the caller's own email codes",
    ),
    **dict.fromkeys(
        (
            "beginWebauthnRegistration finishWebauthnRegistration deleteWebauthnCredential "
            "beginWebauthnLogin beginPasskeyLogin finishPasskeyLogin"
        ).split(),
        "the caller's own security keys (another's id: not found); public passkey ceremonies",
    ),
    **dict.fromkeys(
        "trustDevice revokeDeviceTrust".split(),
        "the caller's own devices (another user's device id: not found, tests/graphql/mfa/"
        "test_trusted_devices.py test_refusals_are_data_and_change_nothing)",
    ),
}

LOOKUPS = {
    "user": ("query($id: ID!) { user(id: $id) { id } }", "{user_id}"),
    "role": ("query($id: ID!) { role(id: $id) { id } }", "{role_id}"),
    "location": ("query($id: ID!) { location(id: $id) { id } }", "{location_id}"),
    "tenant": ("query($id: ID!) { tenant(id: $id) { id } }", "{tenant_id}"),
}


def test_the_matrix_knows_every_mutation() -> None:
    fields = set(build_schema()._schema.mutation_type.fields)  # type: ignore[union-attr]
    unknown = fields - AIMED.keys() - UNAIMED.keys()
    assert not unknown, (
        "Mutations the isolation matrix does not know: add each to AIMED (how A's admin aims "
        f"it at B's objects) or UNAIMED (why it names none): {sorted(unknown)}"
    )


@pytest.mark.parametrize("field", sorted(AIMED))
async def test_a_admin_on_b_objects_is_not_found_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, world: World, field: str
) -> None:
    document, variables = AIMED[field]
    before = await snapshot(app)

    body = await gql(client, document, _fill(variables, world.names), token=world.admin_a.token)

    assert "errors" not in body, body
    assert body["data"][field]["__typename"] == "NotFound", body
    assert await snapshot(app) == before


@pytest.mark.parametrize("field", sorted(LOOKUPS))
async def test_a_lookup_of_b_objects_is_null(
    client: httpx.AsyncClient, world: World, field: str
) -> None:
    document, value = LOOKUPS[field]
    body = await gql(client, document, {"id": _fill(value, world.names)}, token=world.admin_a.token)
    assert body.get("data", {}).get(field) is None, body
    assert all(
        error.get("extensions", {}).get("code") in (None, "RESOURCE_NOT_FOUND")
        for error in body.get("errors", [])
    ), body
