"""Calling the REST routes and reading their answers: bearer headers, the error envelope,
documented fields, cookies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import httpx

ME = "/api/v1/auth/me"


def bearer(token: str | None) -> dict[str, str]:
    """The Authorization header of an access token; none for an anonymous call."""
    return {"Authorization": f"Bearer {token}"} if token else {}


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
