"""Who may call each REST route of the operations table: anonymous 401, a signed-in caller
without a needed permission 403, the holder the success status (every signed-in caller, for
a viewing route). SQLite and PostgreSQL.

The callers try in turn against one set of targets; refusals change nothing, so the holder's
success is checked on the same state.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.access.operations import REST_CASES, Operation, Rest
from tests.access.world import HOLDER, callers, world


@pytest.mark.parametrize(("operation", "route"), REST_CASES, ids=[str(r) for _, r in REST_CASES])
async def test_rest_access(
    app: FastAPI, client: httpx.AsyncClient, operation: Operation, route: Rest
) -> None:
    # given
    targets = await world(app, operation.needs[0])
    who = await callers(app, operation.needs, operation.also)
    path = route.path.format(**targets.ids())
    body = route.body(targets)

    # when
    answers = {
        kind: await client.request(
            route.method, path, json=body, headers=one.headers if one else {}
        )
        for kind, one in who.items()
    }

    # then
    outcomes = {
        kind: (answer.status_code, answer.json()["error"]["code"] if answer.is_error else None)
        for kind, answer in answers.items()
    }
    allowed = (route.status, None)
    denied = allowed if operation.viewing else (403, "PERMISSION_DENIED")
    assert outcomes == {
        kind: (401, "AUTHENTICATION_REQUIRED")
        if kind == "anonymous"
        else allowed
        if kind == HOLDER
        else denied
        for kind in who
    }, {kind: answer.text for kind, answer in answers.items()}
    if operation.viewing:
        assert answers["plain user"].json() == answers[HOLDER].json()
        assert "reports:read" in answers["plain user"].text
