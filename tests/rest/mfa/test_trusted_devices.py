"""Trusted devices over REST: trust this device (the token once, stored hashed, a cookie in
cookie mode), the devices list's trust, trust and untrust by device id, revocation by the
user, by removing the device, and by a password change or reset."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI

from identity.models import TokenPurpose
from identity.security.secrets import hash_token, new_token
from identity.services import one_time
from identity.services.mfa import trusted
from identity.web.cookies import CSRF_COOKIE
from tests.factories import ACCOUNT_PASSWORD
from tests.support.app import runtime
from tests.support.clocks import install_clock, minutes_from
from tests.support.trusted_devices import (
    Signed,
    audit_events,
    mfa_account,
    sign_in,
    trust_rows,
)

TRUST = "/v1/auth/mfa/trust-device"
REVOKE = "/v1/auth/mfa/revoke-trust"


async def _recognizes(app: FastAPI, user_id: uuid.UUID, token: str) -> bool:
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        return await trusted.recognizes(session, user_id=user_id, token=token, now=deps.clock.now())


async def _trust(client: httpx.AsyncClient, caller: Signed, **body: object) -> str:
    response = await client.post(TRUST, json=body or None, headers=caller.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["device_token"])


async def test_trusting_this_device_answers_its_token_once_and_lists_it_trusted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await mfa_account(app, device_id="laptop")
    response = await client.post(TRUST, json={"days": 7}, headers=me.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["device_id"] == "laptop"
    assert body["days"] == 7
    now = runtime(app).clock.now()
    assert round(minutes_from(body["trusted_until"], now)) == 7 * 24 * 60
    assert trusted.COOKIE_NAME not in response.cookies
    [row] = await trust_rows(app, me.user_id)
    assert row.token_hash == hash_token(body["device_token"])
    assert body["device_token"] not in str(row.model_dump())
    assert await _recognizes(app, me.user_id, body["device_token"])

    listed = (await client.get("/v1/devices", headers=me.headers)).json()["devices"]
    assert [(one["id"], one["trusted"], one["trusted_until"]) for one in listed] == [
        ("laptop", True, body["trusted_until"])
    ]
    one = (await client.get("/v1/devices/laptop", headers=me.headers)).json()
    assert one["trusted"] is True
    assert one["trusted_until"] == body["trusted_until"]
    [event] = await audit_events(app, me.user_id, "mfa.device.trusted")
    assert event.details == {"device_id": "laptop", "days": 7, "replaced": 0}
    assert body["device_token"] not in str(event.details)


async def test_default_days_and_trusting_again_replaces_the_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await mfa_account(app)
    first = await _trust(client, me)
    second = await _trust(client, me)
    rows = await trust_rows(app, me.user_id)
    assert [(row.expires_at - row.created_at).days for row in rows] == [30, 30]
    assert rows[0].revoked_at is not None
    assert rows[1].revoked_at is None
    assert not await _recognizes(app, me.user_id, first)
    assert await _recognizes(app, me.user_id, second)


async def test_days_out_of_range_or_not_whole_are_refused_and_nothing_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await mfa_account(app)
    for days in (0, -1, 91, 10**12, 1.5, 90.5, "30", True, [30], {"n": 1}):
        response = await client.post(TRUST, json={"days": days}, headers=me.headers)
        assert response.status_code == 422, (days, response.text)
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR", days
        assert "days" in response.text
    assert (await client.post(TRUST, json={"days": 90}, headers=me.headers)).status_code == 200
    assert len(await trust_rows(app, me.user_id)) == 1
    # 30.0 is the JSON number 30, an integer as JSON Schema (and the document) says.
    again = await client.post(TRUST, json={"days": 30.0}, headers=me.headers)
    assert again.status_code == 200, again.text
    assert again.json()["days"] == 30


async def test_only_a_session_that_proved_a_second_factor_may_trust(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    no_mfa = await mfa_account(app, mfa=False)
    response = await client.post(TRUST, headers=no_mfa.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "MFA_NOT_ENABLED"
    password_only = await mfa_account(app, amr=["pwd"])
    response = await client.post(TRUST, headers=password_only.headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "MFA_SECOND_FACTOR_REQUIRED"
    assert (await client.post(TRUST, headers=httpx.Headers())).status_code == 401
    for caller in (no_mfa, password_only):
        assert await trust_rows(app, caller.user_id) == []


async def test_cookie_mode_sets_and_revoke_clears_an_httponly_cookie(
    app: FastAPI, browser: httpx.AsyncClient
) -> None:
    me = await mfa_account(app)
    browser.cookies.set(CSRF_COOKIE, "csrf")
    response = await browser.post(TRUST, json={"days": 2}, headers=me.headers)
    assert response.status_code == 200, response.text
    cookie = next(
        one
        for one in response.headers.get_list("set-cookie")
        if one.startswith(f"{trusted.COOKIE_NAME}=")
    )
    assert f"{trusted.COOKIE_NAME}={response.json()['device_token']}" in cookie
    for part in ("HttpOnly", "Path=/", "SameSite=strict", "Secure", f"Max-Age={2 * 86400}"):
        assert part in cookie, part
    token = response.json()["device_token"]

    # A new session of the same browser (no device_id: another device key) revokes by cookie.
    again = await sign_in(app, me.user_id)
    response = await browser.post(REVOKE, headers=again.headers)
    assert response.status_code == 200
    assert response.json()["revoked"] == 1
    cleared = [
        one
        for one in response.headers.get_list("set-cookie")
        if one.startswith(f"{trusted.COOKIE_NAME}=")
    ]
    assert cleared
    assert "Max-Age=0" in cleared[0]
    assert not await _recognizes(app, me.user_id, token)
    [event] = await audit_events(app, me.user_id, "mfa.device.trust_revoked")
    assert event.details["reason"] == "revoked_by_user"


async def test_revoke_trust_of_this_device_without_a_trust_answers_zero(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await mfa_account(app)
    response = await client.post(REVOKE, headers=me.headers)
    assert response.status_code == 200
    assert response.json()["revoked"] == 0


async def test_a_device_is_trusted_by_id_only_from_itself(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    laptop = await mfa_account(app, device_id="laptop")
    phone = await sign_in(app, laptop.user_id, device_id="phone")
    response = await client.post("/v1/devices/phone/trust", headers=laptop.headers)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "DEVICE_NOT_CURRENT"
    assert await trust_rows(app, laptop.user_id) == []
    response = await client.post("/v1/devices/phone/trust", json={"days": 3}, headers=phone.headers)
    assert response.status_code == 200, response.text
    assert response.json()["device_id"] == "phone"
    assert response.json()["days"] == 3

    # Any of my sessions may take a device's trust away.
    response = await client.delete("/v1/devices/phone/trust", headers=laptop.headers)
    assert response.status_code == 200
    assert response.json()["revoked"] == 1
    phone_device = (await client.get("/v1/devices/phone", headers=laptop.headers)).json()
    assert phone_device["trusted"] is False
    assert phone_device["trusted_until"] is None


async def test_another_users_device_is_not_found_and_nothing_changes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    victim = await mfa_account(app, device_id="victim-laptop")
    token = await _trust(client, victim)
    attacker = await mfa_account(app, device_id="attacker-laptop")
    by_session_id = await mfa_account(app)
    for device_id in ("victim-laptop", str(victim.session_id), "nobody", "x" * 500):
        for method, path in (
            ("POST", f"/v1/devices/{device_id}/trust"),
            ("DELETE", f"/v1/devices/{device_id}/trust"),
            ("GET", f"/v1/devices/{device_id}"),
            ("DELETE", f"/v1/devices/{device_id}"),
        ):
            response = await client.request(method, path, headers=attacker.headers)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    response = await client.delete(
        f"/v1/devices/{by_session_id.session_id}/trust", headers=attacker.headers
    )
    assert response.status_code == 404
    [row] = await trust_rows(app, victim.user_id)
    assert row.revoked_at is None
    assert await _recognizes(app, victim.user_id, token)
    assert not await _recognizes(app, attacker.user_id, token)
    assert await trust_rows(app, attacker.user_id) == []


async def test_removing_a_device_revokes_its_trust_even_with_no_session_left(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    laptop = await mfa_account(app, device_id="laptop")
    token = await _trust(client, laptop)
    assert (await client.post("/v1/auth/logout", headers=laptop.headers)).status_code in (200, 204)
    phone = await sign_in(app, laptop.user_id, device_id="phone")
    listed = (await client.get("/v1/devices", headers=phone.headers)).json()["devices"]
    assert {(one["id"], one["trusted"], len(one["sessions"])) for one in listed} == {
        ("laptop", True, 0),
        ("phone", False, 1),
    }
    response = await client.delete("/v1/devices/laptop", headers=phone.headers)
    assert response.status_code == 200, response.text
    assert response.json()["sessions_revoked"] == 0
    assert not await _recognizes(app, laptop.user_id, token)
    listed = (await client.get("/v1/devices", headers=phone.headers)).json()["devices"]
    assert [one["id"] for one in listed] == ["phone"]
    [event] = await audit_events(app, laptop.user_id, "mfa.device.trust_revoked")
    assert event.details["reason"] == "device_removed"
    assert event.details["devices"] == ["laptop"]


async def test_trust_ends_at_its_second(app: FastAPI, client: httpx.AsyncClient) -> None:
    clock = install_clock(app)
    me = await mfa_account(app, device_id="laptop")
    token = await _trust(client, me, days=1)
    [row] = await trust_rows(app, me.user_id)
    clock.move_to(row.expires_at - timedelta(seconds=1))
    later = await sign_in(app, me.user_id)  # the first access token expired long ago
    assert (await client.get("/v1/devices/laptop", headers=later.headers)).json()["trusted"]
    clock.move_to(row.expires_at)
    gone = (await client.get("/v1/devices/laptop", headers=later.headers)).json()
    assert gone["trusted"] is False
    assert not await _recognizes(app, me.user_id, token)


async def test_a_password_change_revokes_every_trust(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    laptop = await mfa_account(app, device_id="laptop")
    phone = await sign_in(app, laptop.user_id, device_id="phone")
    tokens = [await _trust(client, laptop), await _trust(client, phone)]
    response = await client.post(
        "/v1/auth/change-password",
        json={"current_password": ACCOUNT_PASSWORD, "new_password": "An0ther-Secret-Phrase!"},
        headers=laptop.headers,
    )
    assert response.status_code == 200, response.text
    for token in tokens:
        assert not await _recognizes(app, laptop.user_id, token)
    [event] = await audit_events(app, laptop.user_id, "mfa.device.trust_revoked")
    assert event.details["reason"] == "password_changed"
    assert event.details["revoked"] == 2


async def test_a_password_reset_revokes_every_trust(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await mfa_account(app, "trusted-reset@example.com")
    token = await _trust(client, me)
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        link = await one_time.issue(
            session,
            purpose=TokenPurpose.PASSWORD_RESET,
            email="trusted-reset@example.com",
            user_id=me.user_id,
            now=deps.clock.now(),
            lifetime=timedelta(minutes=30),
        )
    response = await client.post(
        "/v1/auth/reset-password",
        json={"token": link, "new_password": "An0ther-Secret-Phrase!"},
    )
    assert response.status_code == 200, response.text
    assert not await _recognizes(app, me.user_id, token)
    [event] = await audit_events(app, me.user_id, "mfa.device.trust_revoked")
    assert event.details["reason"] == "password_reset"


async def test_forged_and_revoked_tokens_are_not_recognised(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await mfa_account(app)
    token = await _trust(client, me)
    assert not await _recognizes(app, me.user_id, new_token())
    assert not await _recognizes(app, me.user_id, token[:-1])
    response = await client.post(REVOKE, json={"device_token": token}, headers=me.headers)
    assert response.json()["revoked"] == 1
    assert not await _recognizes(app, me.user_id, token)
    response = await client.post(REVOKE, json={"device_token": token}, headers=me.headers)
    assert response.json()["revoked"] == 0


async def test_a_trusted_device_skips_the_second_factor_until_its_trust_is_revoked(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await mfa_account(app, "trusted-skip@example.com", device_id="laptop")
    token = await _trust(client, me)
    other = await mfa_account(app, "trusted-other@example.com")
    foreign = await _trust(client, other)

    async def login(**extra: object) -> dict[str, object]:
        body = {"email": "trusted-skip@example.com", "password": ACCOUNT_PASSWORD, **extra}
        response = await client.post("/v1/auth/login", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    skipped = await login(device_token=token)
    assert "access_token" in skipped
    assert skipped.get("mfa_required") is not True
    assert (await login())["mfa_required"] is True
    assert (await login(device_token=foreign))["mfa_required"] is True
    assert (await login(device_token=new_token()))["mfa_required"] is True

    # A session that skipped the second factor cannot make or extend a trust.
    response = await client.post(
        TRUST, headers={"Authorization": f"Bearer {skipped['access_token']}"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "MFA_SECOND_FACTOR_REQUIRED"

    response = await client.delete("/v1/devices/laptop/trust", headers=me.headers)
    assert response.json()["revoked"] == 1
    assert (await login(device_token=token))["mfa_required"] is True


async def test_the_trust_cookie_skips_the_second_factor_in_the_browser(
    app: FastAPI, browser: httpx.AsyncClient
) -> None:
    me = await mfa_account(app, "trusted-cookie@example.com")
    browser.cookies.set(CSRF_COOKIE, "csrf")
    assert (await browser.post(TRUST, headers=me.headers)).status_code == 200
    body = {"email": "trusted-cookie@example.com", "password": ACCOUNT_PASSWORD}
    response = await browser.post("/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    assert "access_token" in response.json()
    browser.cookies.delete(trusted.COOKIE_NAME)
    response = await browser.post("/v1/auth/login", json=body)
    assert response.json()["mfa_required"] is True


async def test_another_users_token_in_a_body_replaces_or_revokes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    victim = await mfa_account(app)
    token = await _trust(client, victim)
    attacker = await mfa_account(app)
    await _trust(client, attacker, device_token=token)
    response = await client.post(REVOKE, json={"device_token": token}, headers=attacker.headers)
    assert response.json()["revoked"] == 1  # the attacker's own device trust, not the victim's
    assert await _recognizes(app, victim.user_id, token)
    [row] = await trust_rows(app, victim.user_id)
    assert row.revoked_at is None


async def test_parallel_trusts_of_one_session_leave_one_live_trust(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await mfa_account(app)
    responses = await asyncio.gather(*(client.post(TRUST, headers=me.headers) for _ in range(5)))
    assert [one.status_code for one in responses] == [200] * 5
    rows = await trust_rows(app, me.user_id)
    assert len(rows) == 5
    assert len([row for row in rows if row.revoked_at is None]) == 1
