"""Who may read and change runtime settings and see the services report, on REST (seed 003)
and GraphQL.

For each operation: {anonymous: 401, plain user: 403, administrator without the permission: 403,
administrator with it: success}, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from identity.permissions import Permission
from tests.admin.rbac_helpers import Gql, Rest, check_gql_matrix, check_rest_matrix

READ = Permission.SETTINGS_READ
WRITE = Permission.SETTINGS_WRITE

REST_OPERATIONS = [
    Rest("GET", "/v1/admin/settings", READ),
    Rest("PATCH", "/v1/admin/settings/registration_enabled", WRITE, {"value": False}),
    Rest("GET", "/v1/admin/services", READ),
]

GQL_OPERATIONS = [
    Gql("settings", "{ settings { key value } }", READ, {}, "settings"),
    Gql(
        "serviceStatus",
        "{ serviceStatus { status components { name } } }",
        READ,
        {},
        "serviceStatus",
    ),
    Gql(
        "updateSetting",
        'mutation { updateSetting(key: "lockout_threshold", value: 7) { __typename '
        "... on SettingPayload { setting { value } } ... on Error { code message } } }",
        WRITE,
        {},
        "updateSetting",
        "SettingPayload",
    ),
]


@pytest.mark.parametrize("operation", REST_OPERATIONS, ids=str)
async def test_rest_access(app: FastAPI, client: httpx.AsyncClient, operation: Rest) -> None:
    await check_rest_matrix(app, client, operation)


@pytest.mark.parametrize("operation", GQL_OPERATIONS, ids=str)
async def test_graphql_access(app: FastAPI, client: httpx.AsyncClient, operation: Gql) -> None:
    await check_gql_matrix(app, client, operation)
