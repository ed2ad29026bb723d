"""Item 27 (ASVS V16.3.1), mailed tokens: a bad or used one-time token leaves a trace.

Before, a refused token rolled its transaction back and left nothing: guessing, replaying or
trying a stolen old link was invisible. Each refusal is now an audit row of its own:
``one_time_token.invalid`` (unknown, another purpose, replaced, no longer bound),
``one_time_token.expired`` and ``one_time_token.reuse_detected``, with the purpose expected and
the reason.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.flows.conftest import (
    MAGIC_SUBJECT,
    RESET_SUBJECT,
    VERIFY_SUBJECT,
    ShiftedClock,
    user_row,
)
from tests.support.audit import audit_events
from tests.support.http import assert_error, post_ok
from tests.support.mail import Mailbox

EMAIL = "user@example.com"
PASSWORD = "SecurePassword123!"
RESET = "/v1/auth/reset-password"
VERIFY = "/v1/auth/verify-email"
MAGIC = "/v1/auth/magic-link/verify"


async def refusals(app: FastAPI) -> list[tuple[str, dict[str, Any], bool]]:
    """(event, details, whether it names the account) of every refused-token row."""
    return [
        (event.event_type, event.details, event.subject_id is not None)
        for event in await audit_events(app)
        if event.event_type.startswith("one_time_token.")
    ]


async def registered(client: httpx.AsyncClient, mailbox: Mailbox) -> str:
    await post_ok(client, "/v1/auth/register", {"email": EMAIL, "password": PASSWORD}, status=201)
    return (await mailbox.next_to(EMAIL, VERIFY_SUBJECT)).token


@pytest.mark.parametrize(
    ("path", "purpose"),
    [(RESET, "password_reset"), (VERIFY, "verify_email"), (MAGIC, "magic_link")],
)
async def test_a_guessed_token_is_audited(
    client: httpx.AsyncClient, app: FastAPI, path: str, purpose: str
) -> None:
    # when someone sends a token no mail carried
    response = await client.post(path, json={"token": "A" * 43, "new_password": PASSWORD})

    # then it is refused and audited
    assert_error(response, 401, "TOKEN_INVALID")
    assert await refusals(app) == [
        ("one_time_token.invalid", {"purpose": purpose, "reason": "unknown"}, False)
    ]


async def test_a_replayed_token_is_audited_as_reuse(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a verification token already used
    token = await registered(client, mailbox)
    await post_ok(client, VERIFY, {"token": token})

    # when it is sent again
    assert_error(await client.post(VERIFY, json={"token": token}), 401, "TOKEN_INVALID")

    # then
    assert await refusals(app) == [
        ("one_time_token.reuse_detected", {"purpose": "verify_email", "reason": "used"}, True)
    ]


async def test_an_expired_and_a_replaced_link_are_audited(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI, clock: ShiftedClock
) -> None:
    # given two sign-in links in turn (the first replaced), then both left to expire
    await registered(client, mailbox)
    await post_ok(client, "/v1/auth/magic-link/send", {"email": EMAIL})
    older = (await mailbox.next_to(EMAIL, MAGIC_SUBJECT)).token
    await post_ok(client, "/v1/auth/magic-link/send", {"email": EMAIL})
    newer = (await mailbox.next_to(EMAIL, MAGIC_SUBJECT)).token

    # when the replaced one is used, then the newer one after its 10 minutes
    assert_error(await client.post(MAGIC, json={"token": older}), 401, "TOKEN_INVALID")
    clock.advance(minutes=10, seconds=1)
    assert_error(await client.post(MAGIC, json={"token": newer}), 401, "TOKEN_EXPIRED")

    # then both refusals are audited against the account
    assert await refusals(app) == [
        ("one_time_token.invalid", {"purpose": "magic_link", "reason": "revoked"}, True),
        ("one_time_token.expired", {"purpose": "magic_link", "reason": "expired"}, True),
    ]


async def test_a_token_of_another_purpose_is_audited_and_stays_usable(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given a reset token
    await registered(client, mailbox)
    await post_ok(client, "/v1/auth/forgot-password", {"email": EMAIL})
    reset = (await mailbox.next_to(EMAIL, RESET_SUBJECT)).token

    # when it is sent to the verification route
    assert_error(await client.post(VERIFY, json={"token": reset}), 401, "TOKEN_INVALID")

    # then the refusal is audited, and the token still resets the password
    assert await refusals(app) == [
        ("one_time_token.invalid", {"purpose": "verify_email", "reason": "wrong_purpose"}, True)
    ]
    await post_ok(client, RESET, {"token": reset, "new_password": "Another-pass-2026"})
    stored = await user_row(app, EMAIL)
    assert stored is not None
    assert stored.email_verified
