"""An administrator's lock is not shortened or lifted by failed logins on the account."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import super_admin

ACCOUNT = {"email": "locked@example.com", "password": "SecurePassword123!"}
WRONG = {"email": "locked@example.com", "password": "WrongPassword123!"}


async def test_failed_logins_do_not_lift_an_administrators_lock(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given an account an administrator locked without an end date
    registered = await client.post("/v1/auth/register", json=ACCOUNT)
    assert registered.status_code == 201, registered.text
    root = await super_admin(app)
    locked = await client.post(
        f"/api/v1/users/{registered.json()['id']}/lock",
        json={"reason": "fraud review"},
        headers=root.headers,
    )
    assert locked.status_code == 200, locked.text

    # when someone fails enough logins to set off the failed-login lock
    for _ in range(5):
        await client.post("/v1/auth/login", json=WRONG)

    # then the administrator's lock is as it was: no end date
    users = await client.get(f"/api/v1/users/{registered.json()['id']}", headers=root.headers)
    assert users.json()["locked_until"] is None
    assert users.json()["status"] == "locked"
