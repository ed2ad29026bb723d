"""Every outstanding mailed link dies when the password changes or all sessions are revoked
(issue 10, item 1): a reset link and a pending email-change link issued before are refused.

Today a pending email-change confirmation survives both: someone who once held the account
confirms the change afterwards, then resets the password through the new address.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.flows.conftest import CHANGE_SUBJECT, RESET_SUBJECT
from tests.support.graphql import gql_data
from tests.support.http import assert_error, bearer, post_ok
from tests.support.mail import Mail, Mailbox

EMAIL = "owner@example.com"
NEW_EMAIL = "elsewhere@example.com"
PASSWORD = "SecurePassword123!"
NEW_PASSWORD = "Another-Secret-2026"
ACCOUNT = {"email": EMAIL, "password": PASSWORD}
_CODE = re.compile(r"^Or enter this code: (\S+)$", re.MULTILINE)

REQUEST_EMAIL_CHANGE = """
mutation Move($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) {
  __typename ... on Error { code }
} }
"""
CONFIRM_EMAIL_CHANGE = """
mutation Confirm($token: String!) { confirmEmailChange(token: $token) {
  __typename ... on Error { code }
} }
"""
CHANGE_PASSWORD = """
mutation Change($input: ChangePasswordInput!) { changePassword(input: $input) {
  __typename ... on Error { code }
} }
"""


def token_of(mail: Mail) -> str:
    found = _CODE.search(mail.text)
    assert found is not None, mail.text
    return found.group(1)


async def links_outstanding(client: httpx.AsyncClient, mailbox: Mailbox) -> tuple[str, str, str]:
    """A signed-in owner with a reset link and a pending email-change link in the mailboxes."""
    await post_ok(client, "/v1/auth/register", ACCOUNT, status=201)
    access = str((await post_ok(client, "/v1/auth/login", ACCOUNT))["access_token"])
    await post_ok(client, "/v1/auth/forgot-password", {"email": EMAIL})
    reset = token_of(await mailbox.next_to(EMAIL, RESET_SUBJECT))
    asked = await gql_data(
        client,
        REQUEST_EMAIL_CHANGE,
        {"input": {"newEmail": NEW_EMAIL, "currentPassword": PASSWORD}},
        token=access,
    )
    assert asked["requestEmailChange"]["__typename"] == "Accepted", asked
    change = token_of(await mailbox.next_to(NEW_EMAIL, CHANGE_SUBJECT))
    return access, reset, change


async def change_password_rest(client: httpx.AsyncClient, access: str) -> None:
    await post_ok(
        client,
        "/v1/auth/change-password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(access),
    )


async def change_password_graphql(client: httpx.AsyncClient, access: str) -> None:
    changed = await gql_data(
        client,
        CHANGE_PASSWORD,
        {"input": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}},
        token=access,
    )
    assert changed["changePassword"]["__typename"] == "PasswordChanged", changed


async def revoke_all_sessions(client: httpx.AsyncClient, access: str) -> None:
    await post_ok(client, "/v1/auth/revoke-all-sessions", headers=bearer(access))


EVENTS: dict[str, Callable[[httpx.AsyncClient, str], Awaitable[None]]] = {
    "password changed (REST)": change_password_rest,
    "password changed (GraphQL)": change_password_graphql,
    "all sessions revoked": revoke_all_sessions,
}


@pytest.mark.parametrize("event", list(EVENTS))
async def test_the_links_sent_before_are_refused_after(
    client: httpx.AsyncClient, mailbox: Mailbox, event: str
) -> None:
    # given
    access, reset, change = await links_outstanding(client, mailbox)

    # when
    await EVENTS[event](client, access)

    # then
    confirmed = await gql_data(client, CONFIRM_EMAIL_CHANGE, {"token": change})
    assert confirmed["confirmEmailChange"] == {
        "__typename": "TokenInvalid",
        "code": "TOKEN_INVALID",
    }
    response = await client.post(
        "/v1/auth/reset-password", json={"token": reset, "new_password": "Third-Secret-2026"}
    )
    assert_error(response, 401, "TOKEN_INVALID")
    login = await client.post("/v1/auth/login", json={"email": NEW_EMAIL, "password": PASSWORD})
    assert login.status_code == 401
