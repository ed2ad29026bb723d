"""Item 30 (ASVS V14.2.1): tokens stay out of URLs.

Mailed links carry the token in the fragment, which a browser never sends to a server (no
access log, no ``Referer``); the raw token stays in the mail text for API clients. The API
reads tokens only from bodies and headers: no route declares a token query parameter, and a
token put in a query string is ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from tests.flows.conftest import CHANGE_SUBJECT, MAGIC_SUBJECT, RESET_SUBJECT, VERIFY_SUBJECT
from tests.support.graphql import gql_data
from tests.support.http import assert_error, post_ok
from tests.support.mail import FRONTEND, Mail, Mailbox

EMAIL = "user@example.com"
PASSWORD = "SecurePassword123!"
MOVE = """
mutation($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) { __typename } }
"""


def links(mail: Mail) -> list[str]:
    return [word for word in mail.text.split() if word.startswith(("http://", "https://"))]


async def test_every_mailed_link_carries_its_token_in_the_fragment_only(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given one mail of each purpose
    await post_ok(client, "/v1/auth/register", {"email": EMAIL, "password": PASSWORD}, status=201)
    tokens = await post_ok(client, "/v1/auth/login", {"email": EMAIL, "password": PASSWORD})
    await post_ok(client, "/v1/auth/forgot-password", {"email": EMAIL})
    await post_ok(client, "/v1/auth/magic-link/send", {"email": EMAIL})
    moved = await gql_data(
        client,
        MOVE,
        {"input": {"newEmail": "new@example.com", "currentPassword": PASSWORD}},
        token=tokens["access_token"],
    )
    assert moved["requestEmailChange"]["__typename"] == "Accepted"
    mails = {
        "verify-email": await mailbox.next_to(EMAIL, VERIFY_SUBJECT),
        "reset-password": await mailbox.next_to(EMAIL, RESET_SUBJECT),
        "magic-link": await mailbox.next_to(EMAIL, MAGIC_SUBJECT),
        "confirm-email-change": await mailbox.next_to("new@example.com", CHANGE_SUBJECT),
    }

    for page, mail in mails.items():
        # then its one link is the page, the token only after "#", and the code stays in text
        [link] = links(mail)
        parts = urlsplit(link)
        assert link == f"{FRONTEND}/{page}#token={mail.token}"
        assert parts.query == ""
        assert mail.token not in parts.path
        assert f"Or enter this code: {mail.token}" in mail.text


def _query_parameters(dependant: Dependant) -> Iterator[str]:
    for parameter in dependant.query_params:
        model = parameter.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # Annotated[Model, Query()]
            yield from (field.alias or name for name, field in model.model_fields.items())
        else:
            yield parameter.alias
    for sub in dependant.dependencies:
        yield from _query_parameters(sub)


def test_no_route_reads_a_token_from_the_query_string(app: FastAPI) -> None:
    # given every REST route of the app
    routes = [route for route in app.routes if isinstance(route, APIRoute)]
    assert len(routes) > 50

    declared = {
        (route.path, name) for route in routes for name in _query_parameters(route.dependant)
    }

    # then none declares a query parameter that could carry a secret (list routes do declare
    # query parameters, so the walk sees them)
    assert ("/api/v1/users", "search") in declared
    assert ("/api/v1/permissions", "search") in declared
    secrets = ("token", "secret", "code", "password", "key")
    assert {
        (path, name) for path, name in declared if any(s in name.lower() for s in secrets)
    } == set()


async def test_a_token_in_the_query_string_is_ignored(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given a verification token
    await post_ok(client, "/v1/auth/register", {"email": EMAIL, "password": PASSWORD}, status=201)
    token = (await mailbox.next_to(EMAIL, VERIFY_SUBJECT)).token

    # when it is sent in the query string of the REST route and of GraphQL over GET
    rest = await client.post(f"/v1/auth/verify-email?token={token}", json={})
    graphql = await client.get(
        "/graphql",
        params={"query": f'mutation {{ verifyEmail(token: "{token}") {{ __typename }} }}'},
    )

    # then neither used it: the REST body lacks it, GraphQL runs no mutation over GET
    assert_error(rest, 422, "VALIDATION_ERROR")
    assert "UserPayload" not in graphql.text
    verified = await client.post("/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 200, verified.text
