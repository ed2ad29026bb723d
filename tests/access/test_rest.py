"""Who may call each REST route of the operations table: anonymous 401, a signed-in caller
without a needed permission 403, the holder the success status (every signed-in caller, for
a viewing route); for a per-tenant operation (``tenant_operations``), another tenant's admin
404 (a list: without the tenant's objects) and the database unchanged by every refusal.
SQLite and PostgreSQL.

The callers try in turn against one set of targets; refusals change nothing, so the holder's
success is checked on the same state.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.access.operations import REST_CASES, Operation, Rest
from tests.access.tenant_operations import AIMED, TENANT_REST_CASES
from tests.access.world import HOLDER, OTHER_TENANT_ADMIN, callers, world
from tests.support.snapshot import snapshot

CASES = [*REST_CASES, *TENANT_REST_CASES]


@pytest.mark.parametrize(("operation", "route"), CASES, ids=[str(r) for _, r in CASES])
async def test_rest_access(
    app: FastAPI, client: httpx.AsyncClient, operation: Operation, route: Rest
) -> None:
    # given
    tenant = bool(operation.tenant)
    targets = await world(app, operation.needs[0], tenant=tenant)
    who = await callers(app, operation.needs, operation.also, tenant=tenant)
    path = route.path.format(**targets.ids())
    body = route.body(targets)
    before = await snapshot(app) if tenant else None

    # when
    answers: dict[str, httpx.Response] = {}
    for kind, one in who.items():
        if kind == HOLDER and before is not None:
            assert await snapshot(app) == before, "a refused caller changed something"
        answers[kind] = await client.request(
            route.method, path, json=body, headers=one.headers if one else {}
        )

    # then
    outcomes = {
        kind: (answer.status_code, answer.json()["error"]["code"] if answer.is_error else None)
        for kind, answer in answers.items()
    }
    allowed = (route.status, None)
    denied = allowed if operation.viewing else (403, "PERMISSION_DENIED")
    expected = {
        kind: (401, "AUTHENTICATION_REQUIRED")
        if kind == "anonymous"
        else allowed
        if kind == HOLDER
        else denied
        for kind in who
    }
    if tenant:
        expected[OTHER_TENANT_ADMIN] = (
            (404, "RESOURCE_NOT_FOUND") if operation.tenant == AIMED else allowed
        )
        if operation.tenant != AIMED:  # a 404 may echo the ids it was sent
            seen = set(answers[OTHER_TENANT_ADMIN].text.split('"'))
            assert not set(targets.tenant_objects()) & seen
    assert outcomes == expected, {kind: answer.text for kind, answer in answers.items()}
    if operation.viewing:
        assert answers["plain user"].json() == answers[HOLDER].json()
        assert "reports:read" in answers["plain user"].text
