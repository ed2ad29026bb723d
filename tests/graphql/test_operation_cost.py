"""What an operation costs, and the ceiling that refuses a costly one before it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from graphql import get_introspection_query, parse

from bench.users import GRAPHQL_PAGE
from identity.config import Settings
from schema import build_schema
from schema.cost import operation_cost
from tests.conftest import open_client
from tests.factories import super_admin
from tests.support.statements import counting

SCHEMA = build_schema()._schema


@pytest.mark.parametrize(
    ("document", "variables", "expected"),
    [
        ("{ __typename }", None, 1),
        (get_introspection_query(), None, 1),
        ("{ me { id email } }", None, 3),
        ("{ me { id roles { name } } }", None, 1 + 1 + 1 + 10 * 1),
        ("query Q($n: Int!) { users(first: $n) { edges { node { id } } } }", {"n": 50}, 102),
        ("{ users { totalCount edges { node { id } } } }", None, 1 + 1 + 1 + 20 * 2),
        (
            "{ users(first: 5) { ...Page } } fragment Page on UserConnection { edges { node "
            "{ ... on User { id } } } }",
            None,
            1 + 1 + 5 * 2,
        ),
        (GRAPHQL_PAGE, None, 13_306),
    ],
)
def test_costs(document: str, variables: dict[str, Any] | None, expected: int) -> None:
    assert operation_cost(SCHEMA, parse(document), None, variables) == expected


def test_the_named_operation_is_the_one_costed() -> None:
    document = parse(
        "query Cheap { me { id } } query Dear { users(first: 100) { edges { node { id } } } }"
    )
    assert operation_cost(SCHEMA, document, "Cheap", None) == 2
    assert operation_cost(SCHEMA, document, "Dear", None) == 1 + 1 + 100 * 2
    assert operation_cost(SCHEMA, document, None, None) == 0  # ambiguous: graphql-core refuses


async def test_a_costly_operation_is_refused_before_it_runs(
    make_settings: Callable[..., Settings],
) -> None:
    from identity.app import create_app

    app = create_app(make_settings(graphql_max_cost=200))
    async for client in open_client(app):
        admin = await super_admin(app)
        query = {"query": "{ users(first: 100) { edges { node { id email } } } }"}
        with counting(app) as statements:
            answer = await client.post("/graphql", json=query, headers=admin.headers)
        body = answer.json()
        assert body["data"] is None
        error = body["errors"][0]
        assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 302, "maxCost": 200}
        assert "users" not in str(statements.queries).lower()
        cheaper = {"query": "{ users(first: 60) { edges { node { id email } } } }"}
        allowed = await client.post("/graphql", json=cheaper, headers=admin.headers)
        assert allowed.json()["data"]["users"]["edges"]
