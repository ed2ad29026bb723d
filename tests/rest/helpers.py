"""What the REST tests share: calling the routes, the error envelope, audit rows, JWT pieces."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any, cast

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.models import AuditEvent
from identity.runtime import Runtime

ME = "/api/v1/auth/me"


def runtime(app: FastAPI) -> Runtime:
    return cast(Runtime, app.state.runtime)


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def assert_fields(document: dict[str, Any], fields: Iterable[str]) -> None:
    """Every documented field is present; more fields (a superset) are fine."""
    missing = set(fields) - document.keys()
    assert not missing, f"missing {sorted(missing)}; got {sorted(document)}"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The seed-000 envelope with this status and code; returns ``body["error"]``."""
    assert response.status_code == status, response.text
    body = response.json()
    error = cast(dict[str, Any], body["error"])
    assert error["code"] == code, body
    assert error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert "detail" in body
    return error


def error_fields(error: dict[str, Any]) -> set[str]:
    """The fields an error names: a details list (validation) or ``details.field``."""
    details = error["details"]
    if isinstance(details, list):
        return {str(item["field"]) for item in details}
    return {str(details["field"])} if "field" in details else set()


async def post_ok(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    return cast(dict[str, Any], response.json())


async def me_status(client: httpx.AsyncClient, access_token: str) -> int:
    """The status GET /api/v1/auth/me answers this access token with."""
    return (await client.get(ME, headers=bearer(access_token))).status_code


async def audit_events(app: FastAPI) -> list[AuditEvent]:
    async with runtime(app).database.read() as session:
        rows = await session.execute(select(AuditEvent).order_by(col(AuditEvent.created_at)))
        return list(rows.scalars().all())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Header and payload of a compact JWS, decoded without checking it, and its signature."""
    header, payload, signature = token.split(".")

    def decode(segment: str) -> dict[str, Any]:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return cast(dict[str, Any], json.loads(raw))

    return decode(header), decode(payload), signature


def set_cookies(response: httpx.Response) -> dict[str, dict[str, str]]:
    """Each Set-Cookie of a response: name -> {"value", and its attributes lower-cased}."""
    cookies: dict[str, dict[str, str]] = {}
    for line in response.headers.get_list("set-cookie"):
        first, *attributes = (part.strip() for part in line.split(";"))
        name, _, value = first.partition("=")
        parsed = {"value": value.strip('"')}
        for attribute in attributes:
            key, _, setting = attribute.partition("=")
            parsed[key.strip().lower()] = setting.strip()
        cookies[name] = parsed
    return cookies
