"""Every REST error speaks the envelope of seed 000, with seed 004's ``detail`` beside it."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from graphql import GraphQLError
from pydantic import BaseModel, Field

from identity.errors import Conflict
from schema import is_unexpected
from tests.conftest import open_client


class Probe(BaseModel):
    email: str = Field(min_length=3)
    age: int


def add_probe_routes(app: FastAPI) -> None:
    """Routes that fail on purpose, added to the real app the way a route module would."""

    async def validate(body: Probe) -> dict[str, str]:
        return {"email": body.email}

    async def crash() -> None:
        raise RuntimeError("secret internals")

    async def conflict() -> None:
        raise Conflict("Email already registered", field="email")

    app.add_api_route("/probe/validate", validate, methods=["POST"])
    app.add_api_route("/probe/crash", crash)
    app.add_api_route("/probe/conflict", conflict)


@pytest.fixture
async def probe_client(app: FastAPI) -> httpx.AsyncClient:
    add_probe_routes(app)
    async for client in open_client(app):
        yield client  # type: ignore[misc]


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    body = response.json()
    error = body["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["timestamp"].endswith("Z")
    assert error["request_id"] == response.headers["x-request-id"]
    assert "detail" in body
    return body


async def test_unknown_path_is_a_404_envelope_with_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/path")

    body = assert_envelope(response, 404, "RESOURCE_NOT_FOUND")
    assert body["detail"] == "Not Found"


async def test_wrong_method_is_a_405_envelope(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health")

    assert_envelope(response, 405, "METHOD_NOT_ALLOWED")


async def test_validation_errors_list_each_bad_field(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post("/probe/validate", json={"email": "x"})

    body = assert_envelope(response, 422, "VALIDATION_ERROR")
    fields = {item["field"] for item in body["error"]["details"]}
    assert fields == {"email", "age"}
    assert {tuple(item["loc"]) for item in body["detail"]} == {("body", "email"), ("body", "age")}
    assert all("input" not in item for item in body["detail"])


async def test_domain_errors_keep_their_code_and_field(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/probe/conflict")

    body = assert_envelope(response, 409, "RESOURCE_CONFLICT")
    assert body["error"]["details"] == {"field": "email"}


async def test_unexpected_errors_are_500_and_masked(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/probe/crash")

    body = assert_envelope(response, 500, "INTERNAL_ERROR")
    assert "secret" not in response.text
    assert body["detail"] == "An unexpected error occurred"


async def test_a_sane_caller_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere", headers={"x-request-id": "abc-123"})

    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["error"]["request_id"] == "abc-123"


async def test_an_unsafe_caller_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"x-request-id": "bad id\r\nx: y"})

    assert response.headers["x-request-id"].startswith("req_")


async def test_successful_responses_carry_a_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")

    assert response.headers["x-request-id"].startswith("req_")


def test_graphql_masks_only_unexpected_errors() -> None:
    crash = GraphQLError("boom", original_error=RuntimeError("boom"))
    refusal = GraphQLError("denied", original_error=Conflict("taken"))
    invalid = GraphQLError("Cannot query field 'x'")

    assert is_unexpected(crash)
    assert not is_unexpected(refusal)
    assert not is_unexpected(invalid)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/api/v1/users/me", "GET, HEAD, PUT"),
        ("PATCH", "/api/v1/roles/00000000-0000-0000-0000-000000000000", "DELETE, GET, HEAD, PUT"),
        ("DELETE", "/health", "GET, HEAD"),
        ("OPTIONS", "/api/v1/permissions/grouped", "GET, HEAD"),
    ],
)
async def test_a_405_names_every_method_the_path_serves(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
