"""The fence around the GraphQL short path (``schema.execution``, ``schema.short_path``).

- ``IDENTITY_GRAPHQL_SHORT_PATH=false`` answers the same, and the short path does nothing;
- when graphql-core or Strawberry lacks a private part it uses, the app starts on graphql-core's
  executor and logs exactly one warning;
- canaries: the users page and ``me`` are completed by the short path, every object of them,
  nothing handed back to graphql-core; an upgrade that silently ends the short path (a
  renamed Strawberry resolver, a changed executor) fails here even though answers agree.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import strawberry
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col
from starlette.routing import Route
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from identity.app import create_app
from identity.config import Settings
from identity.models import Role, UserRole
from schema.execution import SHORT_PATH_MODULE, execution_context_class
from schema.short_path import ExecutionContext, Incompatible, check_compatible, counts
from tests.conftest import open_client
from tests.factories import add_user, root
from tests.graphql.test_execution import QUERIES, Query, comparable
from tests.support.app import runtime
from tests.support.graphql import gql

USERS_PAGE = """{ users(first: 100) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id email firstName lastName role status isActive lastLogin createdAt
    roles { name permissions { name } } permissions } } } }"""
ME = "{ me { id email } }"
ME_WITH_ROLES = "{ me { id email role status roles { name permissions { name } } permissions } }"


async def add_people(app: FastAPI, count: int) -> None:
    """Accounts of several primary roles, each also holding admin3, half with direct grants."""
    roles = ("user", "admin1", "admin2")
    created = [
        await add_user(
            app, role=roles[number % 3], permissions=["audit:read"] if number % 2 else ()
        )
        for number in range(count)
    ]
    async with runtime(app).database.unit_of_work() as session:
        admin3 = await session.scalar(select(col(Role.id)).where(col(Role.name) == "admin3"))
        assert admin3 is not None
        now = runtime(app).clock.now()
        session.add_all(UserRole(user_id=one, role_id=admin3, created_at=now) for one in created)


def objects_in(value: Any) -> int:
    """The GraphQL objects of an answer: its JSON objects."""
    if isinstance(value, dict):
        return 1 + sum(objects_in(item) for item in value.values())
    if isinstance(value, list):
        return sum(objects_in(item) for item in value)
    return 0


def graphql_executor(app: FastAPI) -> Any:
    """The execution context class the app's GraphQL schema runs on."""
    for route in app.routes:
        if isinstance(route, Route) and route.path == "/graphql":
            return route.endpoint.schema.execution_context_class  # type: ignore[attr-defined]
    raise AssertionError("no /graphql route")


def warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Every warning (or worse) logged, from any logger."""
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


async def canary(client: httpx.AsyncClient, query: str, token: str) -> dict[str, Any]:
    await gql(client, query, token=token)  # warm: keys and caches are loaded once
    counts.reset()
    body = await gql(client, query, token=token)
    assert "errors" not in body, body
    return body


async def test_the_users_page_takes_the_short_path(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)
    await add_people(app, 6)

    body = await canary(client, USERS_PAGE, token)

    page = body["data"]["users"]
    assert len(page["edges"]) == 7
    assert all(edge["node"]["roles"] and edge["node"]["permissions"] for edge in page["edges"])
    assert counts.handed_back == 0
    assert counts.objects == objects_in(page)


async def test_me_takes_the_short_path(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await root(app)

    body = await canary(client, ME, token)

    assert body["data"]["me"]["email"] == "root@example.com"
    assert (counts.objects, counts.handed_back) == (1, 0)


async def test_switched_off_it_answers_the_same_without_the_short_path(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    on, off = create_app(make_settings()), create_app(make_settings(graphql_short_path=False))
    assert graphql_executor(on) is ExecutionContext
    assert graphql_executor(off) is StrawberryGraphQLCoreExecutionContext
    assert not warnings(caplog)
    answers: dict[str, list[dict[str, Any]]] = {}
    async for on_client in open_client(on):
        _, token = await root(on)
        await add_people(on, 6)
        answers["on"] = [
            await gql(on_client, query, token=token) for query in (USERS_PAGE, ME_WITH_ROLES)
        ]
    async for off_client in open_client(off):
        await gql(off_client, USERS_PAGE, token=token)
        counts.reset()
        answers["off"] = [
            await gql(off_client, query, token=token) for query in (USERS_PAGE, ME_WITH_ROLES)
        ]
        assert (counts.objects, counts.handed_back) == (0, 0)

    assert answers["on"] == answers["off"]
    assert len(answers["on"][0]["data"]["users"]["edges"]) == 7


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_switched_off_the_differential_queries_answer_the_same(query: str) -> None:
    answers = {}
    for short_path in (True, False):
        settings = Settings(env="test", graphql_short_path=short_path)
        schema = strawberry.Schema(
            query=Query, execution_context_class=execution_context_class(settings)
        )
        counts.reset()
        result = asyncio.run(schema.execute(query))
        answers[short_path] = comparable(result), counts.objects + counts.handed_back

    (on, used_on), (off, used_off) = answers[True], answers[False]
    assert on == off
    assert used_on > 0
    assert used_off == 0


@pytest.mark.parametrize(
    "gone",
    ["graphql.execution.collect_fields", "graphql.execution.executor"],
    ids=["FieldDetailsList", "to_nodes"],
)
async def test_without_a_private_module_it_starts_on_graphql_cores_executor(
    gone: str,
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An upgrade that moves a private module: importing the short path fails."""
    monkeypatch.setattr("schema._SCHEMAS", {})  # a schema built afresh, not this process's
    monkeypatch.delitem(sys.modules, SHORT_PATH_MODULE)
    monkeypatch.setitem(sys.modules, gone, None)
    caplog.set_level(logging.WARNING)

    app = create_app(make_settings())

    assert graphql_executor(app) is StrawberryGraphQLCoreExecutionContext
    [warning] = warnings(caplog)
    assert warning.name == "schema.execution"
    assert gone in warning.getMessage()
    await answers_the_users_page_without_the_short_path(app)


async def test_with_a_changed_executor_it_starts_on_graphql_cores_executor(
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An upgrade that changes the signature of the method the short path overrides."""
    stock = StrawberryGraphQLCoreExecutionContext

    def complete_value(self: Any, *args: Any, **kwargs: Any) -> Any:
        return super(stock, self).complete_value(*args, **kwargs)

    monkeypatch.setattr(stock, "complete_value", complete_value)
    monkeypatch.setattr("schema._SCHEMAS", {})
    caplog.set_level(logging.WARNING)

    app = create_app(make_settings())

    assert graphql_executor(app) is StrawberryGraphQLCoreExecutionContext
    [warning] = warnings(caplog)
    assert warning.name == "schema.execution"
    assert "complete_value" in warning.getMessage()
    await answers_the_users_page_without_the_short_path(app)


async def answers_the_users_page_without_the_short_path(app: FastAPI) -> None:
    async for client in open_client(app):
        _, token = await root(app)
        await add_people(app, 3)
        counts.reset()
        body = await gql(client, USERS_PAGE, token=token)
    assert "errors" not in body, body
    assert len(body["data"]["users"]["edges"]) == 4
    assert (counts.objects, counts.handed_back) == (0, 0)


class Stock:
    def complete_value(
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any: ...

    def collect_subfields(self, return_type: Any, field_details_list: Any) -> Any: ...

    def build_resolve_info(self, *args: Any) -> Any: ...

    def is_awaitable(self, value: Any) -> bool:
        return False

    def gather_async_work(self, values: Any) -> Any: ...

    def track_async_work(self, values: Any) -> None: ...


class Renamed(Stock):
    def complete_value(
        self,
        return_type: Any,
        field_group: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any: ...


class WithoutCollectSubfields(Stock):
    collect_subfields = None  # type: ignore[assignment]


def test_the_probe_accepts_the_installed_libraries_and_what_has_their_shape() -> None:
    check_compatible()
    check_compatible(Stock)


@pytest.mark.parametrize("base", [Renamed, WithoutCollectSubfields])
def test_the_probe_refuses_a_changed_executor(base: type[Any]) -> None:
    with pytest.raises(Incompatible):
        check_compatible(base)
