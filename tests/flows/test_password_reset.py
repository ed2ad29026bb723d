"""Password reset end to end, on the paths of seeds 000, 002 and 003.

Each seed is exercised with its own documented bodies: seed 000 (``/api/v1/auth/forgot-password``
and ``/reset-password`` with ``confirm_password``; its accounts come from seed 004's register),
seed 002 (``/v1/auth/password/reset-request`` and ``/password/reset``) and seed 003
(``/v1/auth/forgot-password`` and ``/reset-password``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.flows.conftest import RESET_SUBJECT, VERIFY_SUBJECT, ShiftedClock, queued_to, settled
from tests.support.audit import audit_events
from tests.support.http import assert_error, bearer, error_fields, post_ok
from tests.support.mail import Mailbox

EMAIL = "user@example.com"
UNKNOWN = "nobody@example.com"


@dataclass(frozen=True)
class Seed:
    """One document's routes and example bodies for the whole flow."""

    name: str
    register: str
    register_body: dict[str, Any]
    login: str
    refresh: str
    me: str
    forgot: str
    reset: str
    new_password: str
    confirm: bool = False

    @property
    def password(self) -> str:
        return str(self.register_body["password"])

    def reset_body(self, token: str, new_password: str | None = None) -> dict[str, Any]:
        password = new_password or self.new_password
        body = {"token": token, "new_password": password}
        if self.confirm:
            body["confirm_password"] = password
        return body


SEED_000 = Seed(
    name="000",
    register="/api/v1/auth/register",
    register_body={
        "email": EMAIL,
        "username": "testuser",
        "password": "oldpassword123",
        "first_name": "John",
        "last_name": "Doe",
    },
    login="/api/v1/auth/login",
    refresh="/api/v1/auth/refresh",
    me="/api/v1/auth/me",
    forgot="/api/v1/auth/forgot-password",
    reset="/api/v1/auth/reset-password",
    new_password="newpassword456",
    confirm=True,
)
SEED_002 = Seed(
    name="002",
    register="/v1/auth/register",
    register_body={
        "email": EMAIL,
        "password": "secure_password",
        "name": "John Doe",
        "organization": "Example Corp",
    },
    login="/v1/auth/login",
    refresh="/v1/auth/refresh",
    me="/v1/auth/profile",
    forgot="/v1/auth/password/reset-request",
    reset="/v1/auth/password/reset",
    new_password="new_secure_password",
)
SEED_003 = Seed(
    name="003",
    register="/v1/auth/register",
    register_body={"email": EMAIL, "password": "SecurePassword123!"},
    login="/v1/auth/login",
    refresh="/v1/auth/refresh",
    me="/v1/auth/me",
    forgot="/v1/auth/forgot-password",
    reset="/v1/auth/reset-password",
    new_password="NewSecurePassword123!",
)
SEEDS = [pytest.param(seed, id=seed.name) for seed in (SEED_000, SEED_002, SEED_003)]
RESET_PATHS = [seed.reset for seed in (SEED_000, SEED_002, SEED_003)]
VERIFY_EMAIL = "/v1/auth/verify-email"


async def log_in(client: httpx.AsyncClient, seed: Seed, password: str) -> httpx.Response:
    return await client.post(seed.login, json={"email": EMAIL, "password": password})


async def reset_token(client: httpx.AsyncClient, mailbox: Mailbox, seed: Seed) -> str:
    """Ask for a reset as the seed does; the token of the mail that arrives."""
    await post_ok(client, seed.forgot, {"email": EMAIL})
    return (await mailbox.next_to(EMAIL, RESET_SUBJECT)).token


@pytest.mark.parametrize("seed", SEEDS)
async def test_forgot_then_reset_ends_every_session_and_changes_the_password(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI, seed: Seed
) -> None:
    # given an account signed in on two devices
    await post_ok(client, seed.register, seed.register_body, status=201)
    sessions = [(await log_in(client, seed, seed.password)).json() for _ in range(2)]

    # when it forgets its password and follows the mailed link
    forgot = await client.post(seed.forgot, json={"email": EMAIL})
    mail = await mailbox.next_to(EMAIL, RESET_SUBJECT)
    reset = await client.post(seed.reset, json=seed.reset_body(mail.token))

    # then the new password works, the old does not, and no earlier token opens a session
    assert forgot.status_code == 200, forgot.text
    assert forgot.json()["message"]
    assert "expire in 15 minutes" in mail.text
    assert reset.status_code == 200, reset.text
    assert reset.json()["message"] == "Password reset successfully"
    assert reset.json()["sessions_revoked"] == 2
    for tokens in sessions:
        me = await client.get(seed.me, headers=bearer(tokens["access_token"]))
        assert me.status_code == 401, me.text
        refused = await client.post(seed.refresh, json={"refresh_token": tokens["refresh_token"]})
        assert refused.status_code == 401, refused.text
    assert_error(await log_in(client, seed, seed.password), 401, "INVALID_CREDENTIALS")
    fresh = await log_in(client, seed, seed.new_password)
    assert fresh.status_code == 200, fresh.text
    me = await client.get(seed.me, headers=bearer(fresh.json()["access_token"]))
    assert me.status_code == 200, me.text
    events = [event for event in await audit_events(app) if event.event_type.startswith("pass")]
    assert [event.event_type for event in events] == ["password.reset_requested", "password.reset"]
    assert events[1].details == {"sessions_revoked": 2}


@pytest.mark.settings(send_verification_on_register=False)
async def test_seed_000_refuses_a_confirmation_that_differs_and_keeps_the_token(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given a reset mail of seed 000
    await post_ok(client, SEED_000.register, SEED_000.register_body, status=201)
    token = await reset_token(client, mailbox, SEED_000)

    # when the two passwords differ
    mismatch = await client.post(
        SEED_000.reset,
        json={"token": token, "new_password": "newpassword456", "confirm_password": "other456!"},
    )

    # then nothing changed, and the same token still resets the password
    error = assert_error(mismatch, 422, "VALIDATION_ERROR")
    assert error_fields(error) == {"confirm_password"}
    assert (await log_in(client, SEED_000, "oldpassword123")).status_code == 200
    await post_ok(client, SEED_000.reset, SEED_000.reset_body(token))
    assert (await log_in(client, SEED_000, "newpassword456")).status_code == 200


@pytest.mark.settings(send_verification_on_register=False)
async def test_the_password_policy_applies_and_a_refusal_keeps_the_token(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    seed = SEED_002
    # given a reset mail
    await post_ok(client, seed.register, seed.register_body, status=201)
    token = await reset_token(client, mailbox, seed)

    # when the new password is one the policy refuses
    refused = await client.post(seed.reset, json=seed.reset_body(token, "password"))

    # then it is 422 with the policy's code, and the token still works
    error = assert_error(refused, 422, "PASSWORD_TOO_COMMON")
    assert error_fields(error) == {"new_password"}
    assert (await log_in(client, seed, seed.password)).status_code == 200
    await post_ok(client, seed.reset, seed.reset_body(token))
    assert (await log_in(client, seed, seed.new_password)).status_code == 200


@pytest.mark.settings(send_verification_on_register=False)
async def test_a_reset_token_works_once(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    # given a token already used
    await post_ok(client, SEED_003.register, SEED_003.register_body, status=201)
    token = await reset_token(client, mailbox, SEED_003)
    await post_ok(client, SEED_003.reset, SEED_003.reset_body(token))

    # when it is used again, with another password
    replayed = await client.post(
        SEED_003.reset, json=SEED_003.reset_body(token, "AnotherPassword789!")
    )

    # then
    assert_error(replayed, 401, "TOKEN_INVALID")
    assert (await log_in(client, SEED_003, SEED_003.new_password)).status_code == 200
    assert (await log_in(client, SEED_003, "AnotherPassword789!")).status_code == 401


@pytest.mark.settings(send_verification_on_register=False)
async def test_a_reset_link_expires_after_password_reset_minutes(
    client: httpx.AsyncClient, mailbox: Mailbox, clock: ShiftedClock
) -> None:
    # given a link used just inside its 15 minutes, and a newer one left for longer
    await post_ok(client, SEED_002.register, SEED_002.register_body, status=201)
    token = await reset_token(client, mailbox, SEED_002)
    clock.advance(minutes=14, seconds=50)
    inside = await client.post(SEED_002.reset, json=SEED_002.reset_body(token))
    token = await reset_token(client, mailbox, SEED_002)
    clock.advance(minutes=15, seconds=1)

    # when
    outside = await client.post(SEED_002.reset, json=SEED_002.reset_body(token, "ThirdOne789!"))

    # then the late one is refused and changes nothing
    assert inside.status_code == 200, inside.text
    assert_error(outside, 401, "TOKEN_EXPIRED")
    assert (await log_in(client, SEED_002, SEED_002.new_password)).status_code == 200
    assert (await log_in(client, SEED_002, "ThirdOne789!")).status_code == 401


@pytest.mark.settings(send_verification_on_register=False)
async def test_a_newer_reset_link_replaces_the_older(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given two reset requests, through two documents' paths
    await post_ok(client, SEED_003.register, SEED_003.register_body, status=201)
    older = await reset_token(client, mailbox, SEED_003)
    newer = await reset_token(client, mailbox, SEED_002)

    # when the older link is used
    stale = await client.post(SEED_003.reset, json=SEED_003.reset_body(older))

    # then it is refused and changes nothing; the newer one works
    assert_error(stale, 401, "TOKEN_INVALID")
    assert (await log_in(client, SEED_003, SEED_003.password)).status_code == 200
    await post_ok(client, SEED_002.reset, SEED_002.reset_body(newer))
    assert (await log_in(client, SEED_003, SEED_002.new_password)).status_code == 200


async def test_tokens_of_another_purpose_are_refused_and_stay_usable(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given a verification mail (sent at registration) and a reset mail
    await post_ok(client, SEED_003.register, SEED_003.register_body, status=201)
    verification = (await mailbox.next_to(EMAIL, VERIFY_SUBJECT)).token
    reset = await reset_token(client, mailbox, SEED_003)

    # when each is sent where the other belongs
    verification_at_reset = await client.post(
        SEED_003.reset, json=SEED_003.reset_body(verification)
    )
    reset_at_verify = await client.post(VERIFY_EMAIL, json={"token": reset})

    # then both are invalid there and changed nothing; the reset token still works where it
    # belongs, and the reset (which proves the address) retires the verification link
    assert_error(verification_at_reset, 401, "TOKEN_INVALID")
    assert_error(reset_at_verify, 401, "TOKEN_INVALID")
    assert (await log_in(client, SEED_003, SEED_003.password)).status_code == 200
    await post_ok(client, SEED_003.reset, SEED_003.reset_body(reset))
    assert_error(
        await client.post(VERIFY_EMAIL, json={"token": verification}), 401, "TOKEN_INVALID"
    )


async def test_garbage_tokens_are_invalid_everywhere(client: httpx.AsyncClient) -> None:
    # given tokens no mail ever carried
    garbage = ["", "not-a-token", "A" * 43, "x" * 201, "ünïcödé", "' OR 1=1 --"]
    paths = [*RESET_PATHS, VERIFY_EMAIL, "/v1/auth/email/verify", "/v1/auth/magic-link/verify"]

    for path in paths:
        for token in garbage:
            # when
            response = await client.post(
                path, json={"token": token, "new_password": "NewSecurePassword123!"}
            )

            # then
            assert_error(response, 401, "TOKEN_INVALID")

    oversized = await client.post(VERIFY_EMAIL, json={"token": "x" * 501})
    assert_error(oversized, 422, "VALIDATION_ERROR")


@pytest.mark.settings(send_verification_on_register=False)
async def test_unknown_addresses_get_the_same_answer_and_no_mail(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given one account
    await post_ok(client, SEED_003.register, SEED_003.register_body, status=201)

    for seed in (SEED_000, SEED_002, SEED_003):
        # when each document's reset is asked for it and for addresses nobody uses
        known = await client.post(seed.forgot, json={"email": EMAIL})
        unknown = await client.post(seed.forgot, json={"email": UNKNOWN})
        odd = await client.post(seed.forgot, json={"email": "Nobody@Example.COM"})

        # then the answers are the same, and only the account is mailed
        assert known.status_code == unknown.status_code == odd.status_code == 200
        assert known.json() == unknown.json() == odd.json()
        await mailbox.next_to(EMAIL, RESET_SUBJECT)
    await settled(app)
    assert mailbox.received_by(UNKNOWN) == []
    assert mailbox.received_by("Nobody@Example.COM") == []
    assert len(mailbox.received_by(EMAIL)) == 3
    assert await queued_to(app, UNKNOWN) == []
