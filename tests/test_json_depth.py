"""The JSON depth rule refuses deep nesting, not brackets in ordinary text."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from identity.web.json_depth import MAX_JSON_DEPTH, nesting_exceeds
from tests.factories import super_admin


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        (b"[", False),
        (b"a[b]", False),
        (b"]]]", False),
        (b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', False),
        (b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, False),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), True),
        (b"[" * (MAX_JSON_DEPTH + 1), True),
        (b"[{" * 20 + b"}]" * 20, True),
    ],
)
def test_nesting_is_measured_in_levels_a_parser_would_enter(text: bytes, deep: bool) -> None:
    assert nesting_exceeds(text) is deep


@pytest.mark.parametrize("value", ["[", "a[b", "{x", "]"])
async def test_a_bracket_in_a_search_term_is_searched_for(
    app: FastAPI, client: httpx.AsyncClient, value: str
) -> None:
    # given
    root = await super_admin(app)

    # when
    response = await client.get("/v1/users", params={"search": value}, headers=root.headers)

    # then
    assert response.status_code == 200, response.text
