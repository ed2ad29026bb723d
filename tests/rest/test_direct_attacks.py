"""The direct routes' content types, from outside (attack A2): a body is read as JSON exactly
when FastAPI would read it so. A media type with two slashes (``application/json/x+json``)
is no media type to FastAPI (``email.message`` answers ``text/plain``, the body stays bytes
and fails validation) but was JSON to the direct routes: a login that FastAPI refuses
succeeded."""

from __future__ import annotations

import email.message

import httpx
import pytest

from identity.rest.direct import _is_json
from tests.factories import ACCOUNT_PASSWORD, register

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    " Application/Vnd.Api+JSON ;x=1",
    "application/json/x+json",
    "application/a/b+json",
    "application//json",
    "application/+json",
    "application/jsonp",
    "text/json",
    "",
]


def _read_as_json_by_fastapi(content_type: str) -> bool:
    """``fastapi.routing``'s test, which the direct routes follow."""
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_a_body_is_json_exactly_when_fastapi_reads_it_as_json(content_type: str) -> None:
    assert _is_json(content_type) == (bool(content_type) and _read_as_json_by_fastapi(content_type))


async def test_a_login_under_a_media_type_with_two_slashes_is_refused(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "slashes@example.com")
    answer = await client.post(
        "/api/v1/auth/login",
        json={"email": "slashes@example.com", "password": ACCOUNT_PASSWORD},
        headers={"content-type": "application/json/x+json"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "VALIDATION_ERROR"
