"""A GraphQL request leaves no reference cycle behind: its context, request and executor are
freed when it ends, not by the garbage collector (whose pauses, every few hundred requests
when each left a cycle, made the tail of GraphQL ``me``). SQLite and PostgreSQL."""

from __future__ import annotations

import gc

import httpx

from schema.context import Context
from schema.short_path import ExecutionContext
from tests.factories import login_token, register
from tests.support.graphql import gql

ME = "{ me { id email } }"


async def test_me_leaves_no_cycle(client: httpx.AsyncClient) -> None:
    await register(client, "cycles@example.com")
    token = await login_token(client, "cycles@example.com")
    assert (await gql(client, ME, token=token))["data"]["me"]["email"] == "cycles@example.com"
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        body = await gql(client, ME, token=token)
        gc.collect()
        left = {type(item) for item in gc.garbage} & {Context, ExecutionContext}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert body["data"]["me"]["email"] == "cycles@example.com"
    assert not left
