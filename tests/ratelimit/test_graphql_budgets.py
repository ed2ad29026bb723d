"""GraphQL spends a cost budget per caller and reports what is left on every answer."""

from __future__ import annotations

from collections.abc import Callable

from identity.config import Settings
from tests.conftest import open_client
from tests.factories import login_token, register

ME = {"query": "{ me { id email } }"}  # costs 3
PLENTY = {"category.general": "1000/minute", "plan.free": "1000/minute"}


async def test_cost_is_spent_per_user_and_reported(make_settings: Callable[..., Settings]) -> None:
    from identity.app import create_app

    settings = make_settings(
        rate_limits_enabled=True,
        rate_limits={**PLENTY, "graphql.cost": "7/hour", "category.authentication": "100/hour"},
    )
    app = create_app(settings)
    async for client in open_client(app):
        await register(client, "alice@example.com")
        await register(client, "bob@example.com")
        alice = {"Authorization": f"Bearer {await login_token(client, 'alice@example.com')}"}
        bob = {"Authorization": f"Bearer {await login_token(client, 'bob@example.com')}"}
        first = (await client.post("/graphql", json=ME, headers=alice)).json()
        assert first["extensions"]["rateLimit"]["cost"] == 3
        assert first["extensions"]["rateLimit"]["remaining"] == 4
        assert (await client.post("/graphql", json=ME, headers=alice)).json()["data"]["me"]
        refused = (await client.post("/graphql", json=ME, headers=alice)).json()
        assert refused["data"] is None
        extensions = refused["errors"][0]["extensions"]
        assert extensions["code"] == "RATE_LIMITED"
        assert extensions["cost"] == 3
        assert 1 <= extensions["retryAfter"] <= 3600  # the hour on the clock ends
        # A refused spend counts in no window: the point left is still there.
        assert refused["extensions"]["rateLimit"]["remaining"] == 1
        assert (await client.post("/graphql", json=ME, headers=bob)).json()["data"]["me"]


async def test_no_report_when_limits_are_off(make_settings: Callable[..., Settings]) -> None:
    from identity.app import create_app

    app = create_app(make_settings())
    async for client in open_client(app):
        body = (await client.post("/graphql", json={"query": "{ __typename }"})).json()
        assert "extensions" not in body or "rateLimit" not in body["extensions"]
