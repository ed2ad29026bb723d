"""Issue 10, item 1 (the administrator's part): when an administrator changes an account's
email, status or lock, every outstanding one-time token of the account dies, all purposes,
in the same transaction.

The attack: a pending email-change (or reset, or magic) link issued to whoever held the
account before survives the administrator's recovery, and is confirmed afterwards. SQLite and
PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identity.errors import TokenInvalid
from identity.models import TokenPurpose, UserStatus
from identity.services import one_time
from tests.factories import add_user, root
from tests.support.app import runtime
from tests.support.http import assert_error, bearer

NEW_EMAIL = "recovered@example.com"


async def links_for(app: FastAPI, user_id: uuid.UUID, email: str) -> dict[str, str]:
    """One outstanding token of every purpose for the account, and a sign-up link sent to
    the address the administrator will give it."""
    now = runtime(app).clock.now()
    raws: dict[str, str] = {}
    async with runtime(app).database.unit_of_work() as session:
        for purpose in TokenPurpose:
            raws[purpose.value] = await one_time.issue(
                session,
                purpose=purpose,
                email=email,
                user_id=user_id,
                now=now,
                lifetime=timedelta(hours=1),
            )
        raws["sign-up to the new address"] = await one_time.issue(
            session,
            purpose=TokenPurpose.MAGIC_LINK,
            email=NEW_EMAIL,
            user_id=None,
            now=now,
            lifetime=timedelta(hours=1),
        )
    return raws


async def still_valid(app: FastAPI, raws: dict[str, str]) -> set[str]:
    """The names of the tokens that could still be redeemed."""
    now = runtime(app).clock.now()
    valid = set()
    async with runtime(app).database.read() as session:
        for name, raw in raws.items():
            purpose = TokenPurpose(name) if name in set(TokenPurpose) else TokenPurpose.MAGIC_LINK
            try:
                await one_time.peek(session, raw=raw, purpose=purpose, now=now)
            except TokenInvalid:
                continue
            valid.add(name)
    return valid


# (name, method, path, body, initial status): each changes the email, the status or the lock
CHANGES = [
    ("email (000)", "PATCH", "/api/v1/users/{id}", {"email": NEW_EMAIL}, UserStatus.ACTIVE),
    ("email (003)", "PUT", "/v1/users/{id}", {"email": NEW_EMAIL}, UserStatus.ACTIVE),
    ("status", "PATCH", "/api/v1/users/{id}", {"status": "inactive"}, UserStatus.ACTIVE),
    ("deactivate", "PATCH", "/api/v1/users/{id}", {"is_active": False}, UserStatus.ACTIVE),
    ("lock", "POST", "/api/v1/users/{id}/lock", {"reason": "recovery"}, UserStatus.ACTIVE),
    ("unlock", "POST", "/api/v1/users/{id}/unlock", None, UserStatus.LOCKED),
    (
        "bulk deactivate",
        "POST",
        "/api/v1/users/bulk-actions",
        {"user_ids": ["{id}"], "action": "deactivate"},
        UserStatus.ACTIVE,
    ),
    (
        "bulk lock",
        "POST",
        "/api/v1/users/bulk-actions",
        {"user_ids": ["{id}"], "action": "lock"},
        UserStatus.ACTIVE,
    ),
    (
        "bulk activate",
        "POST",
        "/api/v1/users/bulk-actions",
        {"user_ids": ["{id}"], "action": "activate"},
        UserStatus.INACTIVE,
    ),
]


def _fill(value: Any, user_id: uuid.UUID) -> Any:
    if isinstance(value, str):
        return value.replace("{id}", str(user_id))
    if isinstance(value, list):
        return [_fill(one, user_id) for one in value]
    if isinstance(value, dict):
        return {key: _fill(one, user_id) for key, one in value.items()}
    return value


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "status"), CHANGES, ids=[case[0] for case in CHANGES]
)
async def test_every_link_of_the_account_dies_with_the_change(
    app: FastAPI,
    client: httpx.AsyncClient,
    name: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: UserStatus,
) -> None:
    # given
    _, token = await root(app)
    victim = await add_user(
        app,
        "victim@example.com",
        status=status,
        is_active=status != UserStatus.INACTIVE,
    )
    raws = await links_for(app, victim, "victim@example.com")
    assert await still_valid(app, raws) == set(raws)

    # when
    response = await client.request(
        method, _fill(path, victim), json=_fill(body, victim), headers=bearer(token)
    )

    # then
    assert response.status_code == 200, response.text
    if "bulk" in name:
        assert response.json()["affected_users"] == 1, response.text
    survivors = await still_valid(app, raws)
    if name.startswith("email"):
        assert survivors == set()
    else:  # the new address's sign-up link is not the account's
        assert survivors == {"sign-up to the new address"}


async def test_other_changes_leave_the_links_alone(app: FastAPI, client: httpx.AsyncClient) -> None:
    # given
    _, token = await root(app)
    victim = await add_user(app, "victim@example.com")
    raws = await links_for(app, victim, "victim@example.com")

    # when
    response = await client.patch(
        f"/api/v1/users/{victim}", json={"first_name": "V"}, headers=bearer(token)
    )

    # then
    assert response.status_code == 200, response.text
    assert await still_valid(app, raws) == set(raws)


async def test_a_refused_change_leaves_the_links_alone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The tokens die in the transaction of the change: no change, no revocation."""
    # given: the address is taken
    _, token = await root(app)
    await add_user(app, NEW_EMAIL)
    victim = await add_user(app, "victim@example.com")
    raws = await links_for(app, victim, "victim@example.com")
    del raws["sign-up to the new address"]  # issuing it retired nothing of the account

    # when
    response = await client.patch(
        f"/api/v1/users/{victim}", json={"email": NEW_EMAIL}, headers=bearer(token)
    )

    # then
    assert_error(response, 409, "RESOURCE_CONFLICT")
    assert await still_valid(app, raws) == set(raws)
