"""GraphQL POST bodies that JSON can carry but that break the reading (attacks G1-G3).

Each was a 500 on both databases; each is a 400 like any other unreadable request: the
reading (``schema/app.py`` ``_read_json``) refuses a body JSON cannot decode for any
``ValueError`` (not UTF-8, an integer past Python's digit limit), and an ``operationName``
no answer could quote.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

JSON = {"content-type": "application/json"}


async def test_an_operation_name_with_a_lone_surrogate_is_a_400(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    # The crash's text holds the surrogate, which pytest-xdist cannot send between processes
    # (an INTERNALERROR for the whole run): the answer is read without the exception, and
    # the log it writes is not captured.
    caplog.set_level(logging.CRITICAL)
    body = b'{"query":"query A { __typename }","operationName":"\\ud800"}'
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            answer = await client.post("/graphql", content=body, headers=JSON)
    assert answer.status_code == 400


async def test_an_integer_past_pythons_digit_limit_is_a_400(client: httpx.AsyncClient) -> None:
    body = b'{"query":"{ __typename }","variables":{"a":' + b"9" * 5000 + b"}}"
    answer = await client.post("/graphql", content=body, headers=JSON)
    assert answer.status_code == 400


async def test_a_body_that_is_not_utf8_is_a_400(client: httpx.AsyncClient) -> None:
    answer = await client.post("/graphql", content=b'{"query":"\xff"}', headers=JSON)
    assert answer.status_code == 400
