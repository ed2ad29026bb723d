"""Runtime settings (seed 003's /v1/admin/settings): defaults from the environment, typed and
bounded values, audited changes that the service honours at once; and the services report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.app import create_app
from identity.config import Settings
from identity.services import accounts
from tests.conftest import open_client
from tests.factories import caller, super_admin
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.graphql import gql

SETTINGS = "/v1/admin/settings"
PUBLIC = "/v1/auth/settings"
KEYS = [
    "registration_enabled",
    "email_verification_required",
    "password_min_length",
    "lockout_threshold",
    "lockout_minutes",
    "access_token_ttl_seconds",
    "magic_link_enabled",
    "registration_reveals_existing",
    "refresh_reuse_interval_seconds",
    "self_selectable_plans",
    "rate_limits",
    "mfa_required_for",
]
REGISTER = {"email": "new@example.com", "password": "SecurePassword123!"}
GRAPHQL_REGISTER = """
mutation { register(input: {email: "gql@example.com", password: "SecurePassword123!"}) {
  __typename ... on Error { code message }
} }
"""
UPDATE_SETTING = """
mutation($key: String!, $value: JSON!) {
  updateSetting(key: $key, value: $value) {
    __typename
    ... on SettingPayload { setting { key value isDefault } }
    ... on Error { code message field }
  }
}
"""


async def patch(
    client: httpx.AsyncClient, headers: dict[str, str], key: str, value: Any
) -> httpx.Response:
    return await client.patch(f"{SETTINGS}/{key}", json={"value": value}, headers=headers)


async def test_settings_list_their_defaults_from_the_environment(
    make_settings: Callable[..., Settings],
) -> None:
    # given: an app whose environment sets some of them
    app = create_app(make_settings(password_min_length=12, lockout_threshold=3))
    async for client in open_client(app):
        root = await super_admin(app)

        # when
        response = await client.get(SETTINGS, headers=root.headers)

        # then
        assert response.status_code == 200, response.text
        found = {one["key"]: one for one in response.json()["settings"]}
        assert list(found) == KEYS
        assert found["password_min_length"]["value"] == 12
        assert found["password_min_length"]["default"] == 12
        assert found["password_min_length"]["is_default"] is True
        assert (
            found["password_min_length"]["minimum"],
            found["password_min_length"]["maximum"],
        ) == (
            8,
            128,
        )
        assert found["lockout_threshold"]["value"] == 3
        assert found["registration_enabled"] | {"updated_at": None} == {
            "key": "registration_enabled",
            "value": True,
            "default": True,
            "type": "bool",
            "description": "Whether anyone may create an account.",
            "public": True,
            "minimum": None,
            "maximum": None,
            "is_default": True,
            "updated_at": None,
            "updated_by": None,
        }


async def test_a_change_is_stored_and_audited_with_old_and_new_values(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    root = await super_admin(app)

    # when
    first = await patch(client, root.headers, "lockout_threshold", 10)
    second = await patch(client, root.headers, "lockout_threshold", 3)

    # then
    assert first.status_code == 200, first.text
    assert second.json()["value"] == 3
    assert second.json()["is_default"] is False
    assert second.json()["updated_by"] == str(root.id)
    listed = await client.get(SETTINGS, headers=root.headers)
    found = {one["key"]: one["value"] for one in listed.json()["settings"]}
    assert found["lockout_threshold"] == 3
    events = await audit_events(app, "setting.updated")
    assert [event.details for event in events] == [
        {"key": "lockout_threshold", "old": 5, "new": 10},
        {"key": "lockout_threshold", "old": 10, "new": 3},
    ]
    assert {event.actor_id for event in events} == {root.id}
    assert {event.resource_id for event in events} == {"lockout_threshold"}


async def test_an_unknown_key_is_404(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    root = await super_admin(app)

    # when
    response = await patch(client, root.headers, "smtp_url", "smtp://evil")

    # then
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    assert "smtp_url" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("registration_enabled", "maybe", "registration_enabled must be true or false"),
        ("registration_enabled", 1, "registration_enabled must be true or false"),
        ("registration_enabled", None, "registration_enabled must be true or false"),
        ("password_min_length", 7, "password_min_length must be between 8 and 128"),
        ("password_min_length", 129, "password_min_length must be between 8 and 128"),
        ("password_min_length", 12.5, "password_min_length must be a whole number"),
        ("password_min_length", True, "password_min_length must be a whole number"),
        ("password_min_length", "twelve", "password_min_length must be a whole number"),
        ("lockout_threshold", 0, "lockout_threshold must be between 1 and 1000"),
        ("lockout_minutes", -5, "lockout_minutes must be between 1 and 525600"),
        ("access_token_ttl_seconds", 59, "access_token_ttl_seconds must be between 60 and 86400"),
        (
            "access_token_ttl_seconds",
            86401,
            "access_token_ttl_seconds must be between 60 and 86400",
        ),
    ],
)
async def test_a_bad_value_is_422_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, key: str, value: Any, message: str
) -> None:
    # given
    root = await super_admin(app)

    # when
    response = await patch(client, root.headers, key, value)
    graphql = await gql(client, UPDATE_SETTING, {"key": key, "value": value}, token=root.token)

    # then
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"], error["details"]["field"]) == (
        "VALIDATION_ERROR",
        message,
        "value",
    )
    if value is None:  # JSON! refuses null before the resolver runs
        assert graphql["errors"], graphql
    else:
        assert graphql["data"]["updateSetting"] == {
            "__typename": "ValidationError",
            "code": "VALIDATION_ERROR",
            "message": message,
            "field": "value",
        }
    assert await audit_events(app, "setting.updated") == []


@pytest.mark.parametrize(
    ("key", "sent", "stored"),
    [
        ("registration_enabled", "false", False),
        ("magic_link_enabled", "On", True),
        ("password_min_length", "12", 12),
        ("access_token_ttl_seconds", 3600, 3600),
    ],
)
async def test_form_strings_are_read_as_their_type(
    app: FastAPI, client: httpx.AsyncClient, key: str, sent: Any, stored: Any
) -> None:
    # given
    root = await super_admin(app)

    # when
    response = await patch(client, root.headers, key, sent)

    # then
    assert response.status_code == 200, response.text
    assert response.json()["value"] == stored


async def test_closing_registration_refuses_sign_ups_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    root = await super_admin(app)

    # when
    closed = await patch(client, root.headers, "registration_enabled", False)

    # then
    assert closed.status_code == 200, closed.text
    assert (await client.get(PUBLIC)).json()["registration_enabled"] is False
    for path in ("/v1/auth/register", "/api/v1/auth/register"):
        refused = await client.post(path, json=REGISTER)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["message"] == "Registration is closed"
    graphql = await gql(client, GRAPHQL_REGISTER)
    assert graphql["data"]["register"]["message"] == "Registration is closed"
    # the operator's create-admin still works
    _, created = await accounts.create_admin(
        runtime(app).deps, email="ops@example.com", password="Operator-Password-2026!"
    )
    assert created is True

    # when: opened again
    await patch(client, root.headers, "registration_enabled", True)

    # then
    assert (await client.post("/v1/auth/register", json=REGISTER)).status_code == 201


async def test_the_minimum_password_length_applies_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    root = await super_admin(app)
    await patch(client, root.headers, "password_min_length", 20)

    # when
    short = await client.post("/v1/auth/register", json=REGISTER)
    long = await client.post(
        "/v1/auth/register",
        json={"email": "long@example.com", "password": "A-much-longer-passphrase-2026"},
    )

    # then
    assert short.status_code == 422, short.text
    assert short.json()["error"]["code"] == "PASSWORD_TOO_SHORT"
    assert "20" in short.json()["error"]["message"]
    assert long.status_code == 201, long.text
    assert (await client.get(PUBLIC)).json()["password_min_length"] == 20


async def test_public_settings_show_the_public_part(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    root = await super_admin(app)
    await patch(client, root.headers, "magic_link_enabled", False)
    await patch(client, root.headers, "lockout_threshold", 9)

    # when
    rest = await client.get(PUBLIC)
    graphql = await gql(
        client, "{ publicSettings { magicLinkEnabled passwordMinLength mfaEnabled } }"
    )

    # then
    assert rest.json() == {
        "registration_enabled": True,
        "email_verification_required": False,
        "password_min_length": 8,
        "access_token_ttl_seconds": 900,
        "magic_link_enabled": False,
        "self_selectable_plans": [],
        "mfa_required_for": "none",
        "mfa_enabled": True,
        "mfa_methods": ["totp", "webauthn", "email", "backup_code"],
    }
    assert graphql["data"]["publicSettings"] == {
        "magicLinkEnabled": False,
        "passwordMinLength": 8,
        "mfaEnabled": True,
    }


async def test_graphql_update_setting(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    root = await super_admin(app)

    # when
    changed = await gql(
        client, UPDATE_SETTING, {"key": "lockout_minutes", "value": 30}, token=root.token
    )
    unknown = await gql(client, UPDATE_SETTING, {"key": "nope", "value": 1}, token=root.token)
    listed = await gql(client, "{ settings { key value isDefault } }", token=root.token)

    # then
    assert changed["data"]["updateSetting"] == {
        "__typename": "SettingPayload",
        "setting": {"key": "lockout_minutes", "value": 30, "isDefault": False},
    }
    assert unknown["data"]["updateSetting"]["__typename"] == "NotFound"
    assert {"key": "lockout_minutes", "value": 30, "isDefault": False} in listed["data"]["settings"]


async def test_an_admin_reads_but_does_not_change_settings(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: the admin role holds settings:read, not settings:write
    admin = await caller(app, role="admin")

    # when
    read = await client.get(SETTINGS, headers=admin.headers)
    changed = await patch(client, admin.headers, "registration_enabled", False)

    # then
    assert read.status_code == 200, read.text
    assert changed.status_code == 403, changed.text


# --- the services report ---------------------------------------------------------------------


async def test_services_report_the_components(
    app: FastAPI, client: httpx.AsyncClient, backend: str
) -> None:
    # given
    admin = await caller(app, role="admin")
    jwks = (await client.get("/.well-known/jwks.json")).json()

    # when
    response = await client.get("/v1/admin/services", headers=admin.headers)

    # then
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "healthy"
    services = {one["name"]: one for one in body["services"]}
    assert list(services) == ["database", "mail", "signing_keys"]
    assert services["database"]["status"] == "healthy"
    assert services["database"]["details"]["backend"] == backend
    assert services["mail"]["status"] == "healthy"
    assert services["mail"]["details"]["worker_running"] is True
    assert services["mail"]["details"]["transport"] == "console"
    assert services["signing_keys"]["status"] == "healthy"
    assert services["signing_keys"]["details"]["active_kid"] in {key["kid"] for key in jwks["keys"]}


async def test_services_report_a_stopped_mail_worker(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    root = await super_admin(app)
    await runtime(app).mail.stop()

    # when
    rest = await client.get("/v1/admin/services", headers=root.headers)
    graphql = await gql(
        client, "{ serviceStatus { status components { name status message } } }", token=root.token
    )

    # then
    assert rest.json()["status"] == "unhealthy"
    mail = next(one for one in rest.json()["services"] if one["name"] == "mail")
    assert mail["status"] == "unhealthy"
    assert mail["details"]["worker_running"] is False
    assert graphql["data"]["serviceStatus"]["status"] == "unhealthy"
    assert {
        "name": "mail",
        "status": "unhealthy",
        "message": "The delivery worker is not running",
    } in graphql["data"]["serviceStatus"]["components"]


@pytest.mark.parametrize("raw", ["²", "1" * 5000, "١٢", "12.0", "+-1"])
async def test_a_number_setting_refuses_what_is_not_ascii_digits(
    app: FastAPI, client: httpx.AsyncClient, raw: str
) -> None:
    root = await super_admin(app)
    response = await patch(client, root.headers, "lockout_threshold", raw)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("pro, team", ["pro", "team"]), (["pro"], ["pro"]), ("", []), ([], [])],
)
async def test_self_selectable_plans_take_a_list_of_names(
    app: FastAPI, client: httpx.AsyncClient, raw: object, stored: list[str]
) -> None:
    root = await super_admin(app)
    response = await patch(client, root.headers, "self_selectable_plans", raw)
    assert response.status_code == 200, response.text
    assert response.json()["value"] == stored


@pytest.mark.parametrize("raw", [["Pro"], ["a b"], [1], "x" * 40, [str(n) for n in range(21)]])
async def test_self_selectable_plans_refuse_bad_names(
    app: FastAPI, client: httpx.AsyncClient, raw: object
) -> None:
    root = await super_admin(app)
    response = await patch(client, root.headers, "self_selectable_plans", raw)
    assert response.status_code == 422, response.text
