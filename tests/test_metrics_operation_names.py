"""Client-chosen GraphQL operation names cannot grow ``/metrics`` without bound: only a
bounded set of names becomes a label, the rest are counted as ``other``."""

from __future__ import annotations

import re
from typing import cast

import httpx
from fastapi import FastAPI

from identity.observability.metrics import MAX_OPERATION_NAMES, OTHER_OPERATION
from identity.runtime import Runtime

OPERATION_LABEL = re.compile(r'^identity_graphql_operations_total\{[^}]*operation="([^"]*)"', re.M)


def operation_labels(app: FastAPI) -> set[str]:
    text = cast(Runtime, app.state.runtime).metrics.render().decode()
    return set(OPERATION_LABEL.findall(text))


async def test_three_hundred_unique_names_leave_the_label_set_bounded(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for number in range(300):
        response = await client.post(
            "/graphql", json={"query": f"query op{number} {{ __typename }}"}
        )
        assert response.json() == {"data": {"__typename": "Query"}}

    labels = operation_labels(app)
    assert len(labels) <= MAX_OPERATION_NAMES + 1
    assert OTHER_OPERATION in labels
    assert "op0" in labels
    assert "op299" not in labels


async def test_names_of_invalid_operations_never_become_labels(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for number in range(20):
        await client.post("/graphql", json={"query": f"query junk{number} {{ noSuchField }}"})
    await client.post("/graphql", json={"query": "query Known { __typename }"})

    labels = operation_labels(app)
    assert not any(label.startswith("junk") for label in labels)
    assert labels == {OTHER_OPERATION, "Known"}


async def test_a_known_name_keeps_its_label_once_the_set_is_full(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await client.post("/graphql", json={"query": "query Dashboard { __typename }"})
    for number in range(MAX_OPERATION_NAMES + 5):
        await client.post("/graphql", json={"query": f"query filler{number} {{ __typename }}"})
    await client.post("/graphql", json={"query": "query Dashboard { __typename }"})

    text = cast(Runtime, app.state.runtime).metrics.render().decode()
    assert re.search(r'operation="Dashboard"[^}]*\} 2\.0', text), text
