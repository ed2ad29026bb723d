"""Item 12, email-change half: ``requestEmailChange`` to a taken address.

The attack: asking to move one's account to any address answered ``Conflict`` for taken ones,
without limit, so any account holder could enumerate registered addresses. With the runtime
setting ``registration_reveals_existing`` off, a taken address is answered exactly like a free
one, no usable link is made, and the address's owner is told instead. Either way, requests are
counted per account.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import super_admin
from tests.flows.conftest import CHANGE_SUBJECT, queued_to, settled, token_rows
from tests.support.graphql import gql_data
from tests.support.http import bearer, post_ok
from tests.support.mail import Mailbox

ME = "me@example.com"
TAKEN = "taken@example.com"
FREE = "free@example.com"
PASSWORD = "SecurePassword123!"
IN_USE_SUBJECT = "Someone tried to use your email address"
MOVE = """
mutation Move($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) {
  __typename ... on Accepted { message } ... on Error { code field }
} }
"""


async def accounts(client: httpx.AsyncClient) -> str:
    """An account of mine (signed in: its access token) and one holding TAKEN."""
    for email in (ME, TAKEN):
        await post_ok(
            client, "/v1/auth/register", {"email": email, "password": PASSWORD}, status=201
        )
    tokens = await post_ok(client, "/v1/auth/login", {"email": ME, "password": PASSWORD})
    return str(tokens["access_token"])


async def move(client: httpx.AsyncClient, access: str, email: str) -> dict[str, Any]:
    data = await gql_data(
        client, MOVE, {"input": {"newEmail": email, "currentPassword": PASSWORD}}, token=access
    )
    return dict(data["requestEmailChange"])


async def reveal(app: FastAPI, client: httpx.AsyncClient, value: bool) -> None:
    root = await super_admin(app)
    response = await client.patch(
        "/v1/admin/settings/registration_reveals_existing",
        json={"value": value},
        headers=bearer(root.token),
    )
    assert response.status_code == 200, response.text


async def test_with_the_setting_off_a_taken_address_answers_like_a_free_one(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given
    access = await accounts(client)
    await reveal(app, client, False)

    # when I ask to move to a taken address, then to a free one
    taken = await move(client, access, TAKEN)
    free = await move(client, access, FREE)

    # then both answers are the same; only the free address got a link, the owner a notice
    assert (
        taken
        == free
        == {
            "__typename": "Accepted",
            "message": "A confirmation link was sent to the new address",
        }
    )
    await mailbox.next_to(FREE, CHANGE_SUBJECT)
    notice = await mailbox.next_to(TAKEN, IN_USE_SUBJECT)
    assert "nothing was changed" in notice.text
    assert ME not in notice.text
    await settled(app)
    assert [row.template for row in await queued_to(app, TAKEN)] == [
        "verify_email",
        "address_in_use_notice",
    ]
    change_links = [row for row in await token_rows(app) if row.purpose == "email_change"]
    assert [row.email for row in change_links] == [FREE]


async def test_with_the_setting_off_repeated_attempts_are_bounded(
    client: httpx.AsyncClient, mailbox: Mailbox, app: FastAPI
) -> None:
    # given
    access = await accounts(client)
    await reveal(app, client, False)

    # when I keep asking for the taken address
    answers = [await move(client, access, TAKEN) for _ in range(12)]

    # then ten are taken, then refused; the owner got no more than the mail cap
    assert [answer["__typename"] for answer in answers] == ["Accepted"] * 10 + [
        "TooManyAttempts"
    ] * 2
    await settled(app)
    notices = [row for row in await queued_to(app, TAKEN) if row.template != "verify_email"]
    assert len(notices) == 5


async def test_with_the_setting_on_a_taken_address_is_a_conflict_but_not_without_end(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    # given (registration_reveals_existing defaults to true)
    access = await accounts(client)

    # when I keep asking for the taken address
    answers = [await move(client, access, TAKEN) for _ in range(11)]

    # then it is Conflict, as before, ten times; then refused
    assert answers[0] == {
        "__typename": "Conflict",
        "code": "RESOURCE_CONFLICT",
        "field": "new_email",
    }
    assert [answer["__typename"] for answer in answers] == ["Conflict"] * 10 + ["TooManyAttempts"]
    await settled(app)
    assert [row.template for row in await queued_to(app, TAKEN)] == ["verify_email"]
