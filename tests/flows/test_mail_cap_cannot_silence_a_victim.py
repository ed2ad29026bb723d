"""Item 13: the per-address mail cap cannot be used to silence a victim.

The attack: the cap of 5 mails per recipient slid with every request, so a few reset requests
an hour kept the victim's own reset, sign-in and verification mail from ever being sent. Now
the window is fixed (anchored at its first mail) and, once it is full, one more mail with a
fresh working link goes out every 15 minutes.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from identity.services import after_answer
from tests.flows.conftest import RESET_SUBJECT, ShiftedClock, queued_to, settled
from tests.support.http import post_ok
from tests.support.mail import Mailbox

VICTIM = "victim@example.com"
FORGOT = "/v1/auth/forgot-password"
RESET = "/v1/auth/reset-password"


async def hammer(client: httpx.AsyncClient, times: int) -> None:
    """Ask ``times`` times, and let the work after each answer finish at the current time."""
    for _ in range(times):
        await post_ok(client, FORGOT, {"email": VICTIM})
    await after_answer.settle()


async def resets_sent(app: FastAPI) -> int:
    await settled(app)
    return len([row for row in await queued_to(app, VICTIM) if row.template == "password_reset"])


@pytest.mark.settings(send_verification_on_register=False)
async def test_an_attacker_hammering_cannot_keep_the_victims_link_away(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI, clock: ShiftedClock
) -> None:
    # given an account, and an attacker who spent its window's five mails and keeps asking
    await post_ok(
        client, "/v1/auth/register", {"email": VICTIM, "password": "Victim-1234!"}, status=201
    )
    await hammer(client, 15)
    assert await resets_sent(app) == 5
    clock.advance(minutes=10)
    await hammer(client, 5)
    assert await resets_sent(app) == 5  # nothing more within 15 minutes of the last mail

    # when the victim asks, 15 minutes after the last mail, and the attacker keeps on
    clock.advance(minutes=5, seconds=1)
    await hammer(client, 1)
    await settled(app)
    latest = mailbox.received_by(VICTIM)[-1]
    await hammer(client, 10)

    # then one more mail went out, and its link works despite the hammering after it
    assert await resets_sent(app) == 6
    assert latest.subject == RESET_SUBJECT
    await post_ok(client, RESET, {"token": latest.token, "new_password": "Victim-new-5678!"})


@pytest.mark.settings(send_verification_on_register=False)
async def test_the_window_is_anchored_at_its_first_mail_not_at_the_last_request(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI, clock: ShiftedClock
) -> None:
    # given a full window, and requests every 10 minutes after it (at most one mail per 15)
    await post_ok(
        client, "/v1/auth/register", {"email": VICTIM, "password": "Victim-1234!"}, status=201
    )
    await hammer(client, 5)
    for _ in range(5):
        clock.advance(minutes=10)
        await hammer(client, 1)
    sent_in_the_first_hour = await resets_sent(app)

    # when the hour since the window's first mail is over (the requests never stopped)
    clock.advance(minutes=10, seconds=1)
    await hammer(client, 5)

    # then a new window gives five mails again
    assert sent_in_the_first_hour == 5 + 2  # at +20 and +40 minutes: one per 15 at most
    assert await resets_sent(app) == sent_in_the_first_hour + 5


@pytest.mark.settings(send_verification_on_register=False)
async def test_parallel_requests_get_no_more_than_the_cap(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    # given an account
    await post_ok(
        client, "/v1/auth/register", {"email": VICTIM, "password": "Victim-1234!"}, status=201
    )

    # when twenty requests arrive at once
    answers = await asyncio.gather(
        *(client.post(FORGOT, json={"email": VICTIM}) for _ in range(20))
    )

    # then all are answered alike, and five mails were queued
    assert {response.status_code for response in answers} == {200}
    assert await resets_sent(app) == 5
