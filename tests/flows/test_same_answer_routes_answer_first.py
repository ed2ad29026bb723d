"""Item 11: "same answer" routes also take the same time for known and unknown addresses.

The attack measured forgot-password at 14.3 ms for a known address against 5.0 ms for an
unknown one. Timing is measured by ``bench/same_answer_timing.py``; here the cause is
checked: while a route answers, the statements it runs are the same whatever the address
(none touch the account), and the mail follows once the work after the answer is done.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from identity.services import after_answer
from tests.flows.conftest import MAGIC_SUBJECT, RESET_SUBJECT, VERIFY_SUBJECT, queued_to, settled
from tests.support.graphql import gql_data
from tests.support.http import post_ok
from tests.support.mail import Mailbox
from tests.support.statements import counting

KNOWN = "known@example.com"
UNKNOWN = "unknown@example.com"
ROUTES = [
    pytest.param("/api/v1/auth/forgot-password", RESET_SUBJECT, id="forgot-000"),
    pytest.param("/v1/auth/password/reset-request", RESET_SUBJECT, id="forgot-002"),
    pytest.param("/v1/auth/forgot-password", RESET_SUBJECT, id="forgot-003"),
    pytest.param("/v1/auth/magic-link/send", MAGIC_SUBJECT, id="magic-link-003"),
    pytest.param("/v1/auth/email/resend-verification", VERIFY_SUBJECT, id="resend-002"),
]
MUTATIONS = [
    pytest.param("requestPasswordReset", RESET_SUBJECT, id="requestPasswordReset"),
    pytest.param("requestMagicLink", MAGIC_SUBJECT, id="requestMagicLink"),
    pytest.param("resendVerificationEmail", VERIFY_SUBJECT, id="resendVerificationEmail"),
]


async def answered(app: FastAPI, client: httpx.AsyncClient, path: str, email: str) -> list[str]:
    with counting(app, this_task=True) as counter:
        response = await client.post(path, json={"email": email})
    assert response.status_code == 200, response.text
    return counter.statements


@pytest.mark.settings(send_verification_on_register=False)
@pytest.mark.parametrize(("path", "subject"), ROUTES)
async def test_the_answer_touches_no_account_and_the_mail_follows(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, path: str, subject: str
) -> None:
    # given an unverified account, and runtime settings already read once
    await post_ok(
        client, "/v1/auth/register", {"email": KNOWN, "password": "Known-pass-2026"}, status=201
    )
    await answered(app, client, path, "warm-up@example.com")
    await settled(app)

    # when the route is asked for the account's address and for an unknown one
    known = await answered(app, client, path, KNOWN)
    unknown = await answered(app, client, path, UNKNOWN)

    # then answering ran the same statements for both, none about users or tokens
    assert known == unknown
    assert not [sql for sql in known if "users" in sql or "one_time_tokens" in sql]
    # and once the work after the answer is done, the account has its mail; the unknown
    # address has none (but a sign-up link, while registration is open)
    await after_answer.settle()
    await mailbox.next_to(KNOWN, subject)
    await settled(app)
    signs_up = subject == MAGIC_SUBJECT
    assert len(await queued_to(app, UNKNOWN)) == signs_up
    assert [mail.subject for mail in mailbox.received_by(UNKNOWN)] == [subject] * signs_up


@pytest.mark.settings(send_verification_on_register=False)
@pytest.mark.parametrize(("field", "subject"), MUTATIONS)
async def test_the_graphql_mutations_answer_before_the_lookup_too(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, field: str, subject: str
) -> None:
    # given an unverified account
    await post_ok(
        client, "/v1/auth/register", {"email": KNOWN, "password": "Known-pass-2026"}, status=201
    )
    document = f"mutation($email: String!) {{ {field}(email: $email) {{ __typename }} }}"

    # when the mutation is asked for the account and for an unknown address
    with counting(app, this_task=True) as counter:
        known = await gql_data(client, document, {"email": KNOWN})
    touched = [sql for sql in counter.statements if "users" in sql or "one_time_tokens" in sql]
    unknown = await gql_data(client, document, {"email": UNKNOWN})

    # then the answers are alike, answering touched no account, and only the account is mailed
    assert known == unknown == {field: {"__typename": "Accepted"}}
    assert touched == []
    await mailbox.next_to(KNOWN, subject)
    await settled(app)
    signs_up = subject == MAGIC_SUBJECT
    assert [mail.subject for mail in mailbox.received_by(UNKNOWN)] == [subject] * signs_up
