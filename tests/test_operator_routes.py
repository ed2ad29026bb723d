"""Metrics and detailed health are for operators: in production they need a token or do not exist.

``/health`` stays public everywhere; ``/docs`` and ``/openapi.json`` stay public unless
``IDENTITY_PUBLIC_DOCS=false``.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from identity.app import create_app
from identity.config import Settings
from tests.conftest import open_client
from tests.support.http import assert_error, bearer

OPERATOR_ROUTES = ["/metrics", "/health/detailed", "/api/v1/health/detailed"]
METRICS_TOKEN = "operator-token-0123456789abcdef"


def production(make_settings: Callable[..., Settings], **overrides: object) -> Settings:
    return make_settings(
        env="production",
        secret_key="p" * 40,
        public_url="https://auth.example.com",
        **overrides,
    )


@pytest.mark.parametrize("path", OPERATOR_ROUTES)
async def test_production_without_a_token_setting_hides_operator_routes(
    make_settings: Callable[..., Settings], path: str
) -> None:
    async for client in open_client(create_app(production(make_settings))):
        anonymous = await client.get(path)
        guessed = await client.get(path, headers=bearer("anything"))
        public = await client.get("/health")

    assert_error(anonymous, 404, "RESOURCE_NOT_FOUND")
    assert_error(guessed, 404, "RESOURCE_NOT_FOUND")
    assert "identity_http" not in anonymous.text
    assert public.status_code == 200


@pytest.mark.parametrize("path", OPERATOR_ROUTES)
async def test_production_with_a_token_setting_requires_that_exact_token(
    make_settings: Callable[..., Settings], path: str
) -> None:
    settings = production(make_settings, metrics_token=METRICS_TOKEN)
    async for client in open_client(create_app(settings)):
        anonymous = await client.get(path)
        wrong = await client.get(path, headers=bearer("wrong-" + METRICS_TOKEN))
        prefix = await client.get(path, headers=bearer(METRICS_TOKEN[:-1]))
        basic = await client.get(path, headers={"Authorization": f"Basic {METRICS_TOKEN}"})
        right = await client.get(path, headers=bearer(METRICS_TOKEN))

    for refused in (anonymous, wrong, prefix, basic):
        assert_error(refused, 401, "AUTHENTICATION_REQUIRED")
        assert "connection_pool" not in refused.text
        assert "identity_http" not in refused.text
    assert right.status_code == 200, right.text


async def test_a_user_access_token_does_not_open_operator_routes(
    make_settings: Callable[..., Settings],
) -> None:
    settings = production(make_settings, metrics_token=METRICS_TOKEN)
    async for client in open_client(create_app(settings)):
        # A well-formed JWT of no operator is just another wrong token.
        response = await client.get("/metrics", headers=bearer("eyJhbGciOiJFUzI1NiJ9.e30.sig"))

    assert_error(response, 401, "AUTHENTICATION_REQUIRED")


async def test_outside_production_a_configured_token_is_required_too(
    make_settings: Callable[..., Settings],
) -> None:
    async for client in open_client(create_app(make_settings(metrics_token=METRICS_TOKEN))):
        anonymous = await client.get("/metrics")
        right = await client.get("/metrics", headers=bearer(METRICS_TOKEN))

    assert_error(anonymous, 401, "AUTHENTICATION_REQUIRED")
    assert right.status_code == 200


@pytest.mark.parametrize("path", OPERATOR_ROUTES)
async def test_outside_production_without_a_token_they_stay_open_as_the_seeds_document(
    client: httpx.AsyncClient, path: str
) -> None:
    assert (await client.get(path)).status_code == 200


async def test_production_keeps_the_docs_public_by_default(
    make_settings: Callable[..., Settings],
) -> None:
    async for client in open_client(create_app(production(make_settings))):
        docs = await client.get("/docs")
        openapi = await client.get("/openapi.json")

    assert docs.status_code == 200
    assert openapi.json()["openapi"].startswith("3.")


@pytest.mark.parametrize("env", ["production", "test"])
async def test_public_docs_false_turns_the_docs_off(
    make_settings: Callable[..., Settings], env: str
) -> None:
    settings = (
        production(make_settings, public_docs=False)
        if env == "production"
        else make_settings(public_docs=False)
    )
    async for client in open_client(create_app(settings)):
        docs = await client.get("/docs")
        openapi = await client.get("/openapi.json")
        front = await client.get("/")

    assert_error(docs, 404, "RESOURCE_NOT_FOUND")
    assert_error(openapi, 404, "RESOURCE_NOT_FOUND")
    assert "docs" not in front.json()["links"]
    assert "openapi" not in front.json()["links"]
