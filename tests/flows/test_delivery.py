"""Mail and the transaction that queues it, seen from the app: a failed request mails nothing,
and a mail server outage delays a registration's mail without failing the registration.

The worker's own retry rules (backoff, giving up, leases) are tested in tests/mail.
"""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from identity.models import MailStatus
from tests.flows.conftest import VERIFY_SUBJECT, ShiftedClock, queued_to, settled
from tests.support.app import runtime
from tests.support.audit import audit_events
from tests.support.http import assert_error, post_ok
from tests.support.mail import Mailbox
from tests.support.smtp import SmtpServer

REGISTER = "/v1/auth/register"
VERIFY = "/v1/auth/email/verify"
EMAIL = "user@example.com"
REGISTER_BODY = {
    "email": EMAIL,
    "password": "secure_password",
    "name": "John Doe",
    "organization": "Example Corp",
}


async def test_a_registration_that_fails_queues_no_mail(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given an account
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)

    # when the address registers again, and another one with a refused password
    duplicate = await client.post(REGISTER, json={**REGISTER_BODY, "email": "USER@example.com"})
    weak = await client.post(REGISTER, json={"email": "weak@example.com", "password": "password"})

    # then both fail, and only the first registration's mail is queued and sent
    assert_error(duplicate, 409, "RESOURCE_CONFLICT")
    assert_error(weak, 422, "PASSWORD_TOO_COMMON")
    await settled(app)
    assert len(await queued_to(app, EMAIL)) == 1
    assert await queued_to(app, "USER@example.com") == []
    assert await queued_to(app, "weak@example.com") == []
    assert [mail.subject for mail in mailbox.received_by(EMAIL)] == [VERIFY_SUBJECT]
    assert len(mailbox.smtp.messages) == 1


async def test_registration_succeeds_while_smtp_is_down_and_its_mail_follows(
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    app: FastAPI,
    smtp: SmtpServer,
    clock: ShiftedClock,
) -> None:
    # given a mail server that refuses connections
    smtp.stop()

    # when an account registers
    registered = await client.post(REGISTER, json=REGISTER_BODY)

    # then the registration succeeds and its mail waits for a retry
    assert registered.status_code == 201, registered.text
    async with asyncio.timeout(10):
        while True:
            [row] = await queued_to(app, EMAIL)
            if row.status == MailStatus.PENDING and row.attempts == 1:
                break
            await asyncio.sleep(0.01)
    assert row.last_error

    # when the server is back and the retry is due
    smtp.start()
    clock.advance(seconds=runtime(app).mail.retry_delay(1).total_seconds() + 1)
    runtime(app).mail.notify()

    # then the mail arrives once, and its link verifies the address
    mail = await mailbox.next_to(EMAIL, VERIFY_SUBJECT)
    await settled(app)
    assert len(mailbox.received_by(EMAIL)) == 1
    verified = await client.post(VERIFY, json={"token": mail.token})
    assert verified.status_code == 200, verified.text


async def test_the_verification_flow_is_audited(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given
    await post_ok(client, REGISTER, REGISTER_BODY, status=201)
    await post_ok(client, "/v1/auth/email/resend-verification", {"email": EMAIL})

    await mailbox.next_to(EMAIL, VERIFY_SUBJECT)  # the registration's, replaced by the next
    resent = await mailbox.next_to(EMAIL, VERIFY_SUBJECT)

    # when
    await post_ok(client, VERIFY, {"token": resent.token})

    # then each step left its row, about the account
    events = await audit_events(app)
    user_id = events[0].subject_id
    assert user_id is not None
    assert sorted(event.event_type for event in events) == [
        "account.claimed",  # nobody had proven the address: the registrant's password ends
        "email.verification_sent",
        "email.verification_sent",
        "email.verified",
        "user.registered",
    ]
    assert {event.subject_id for event in events} == {user_id}
    [verified] = [event for event in events if event.event_type == "email.verified"]
    assert verified.details == {"email": EMAIL}
    assert verified.ip_address
