"""The invitation token fields are credential fields: ``acceptInvitation`` and the public
``invitation(token)`` lookup appear once per document (one token guessed per request), refused
before anything runs; the payloads' own ``invitation`` fields are not. SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.support.graphql import gql
from tests.support.snapshot import snapshot

TWO_ACCEPTS = """mutation {
  a: acceptInvitation(input: {token: "guess-one", password: "Invited-Passphrase-2026!"}) {
    __typename
  }
  b: acceptInvitation(input: {token: "guess-two", password: "Invited-Passphrase-2026!"}) {
    __typename
  }
}"""
TWO_LOOKUPS = """{
  a: invitation(token: "guess-one") { tenantName }
  b: invitation(token: "guess-two") { tenantName }
}"""
LOOKUP_AND_ACCEPT = """query Look { invitation(token: "guess-one") { tenantName } }
mutation Take {
  acceptInvitation(input: {token: "guess-two", password: "Invited-Passphrase-2026!"}) {
    __typename ... on InvitationAccepted { invitation { id } }
  }
}"""


@pytest.mark.parametrize("document", [TWO_ACCEPTS, TWO_LOOKUPS])
async def test_two_token_guesses_in_one_document_are_refused(
    app: FastAPI, client: httpx.AsyncClient, document: str
) -> None:
    before = await snapshot(app)

    body = await gql(client, document)

    assert body.get("data") is None, body
    assert [error["extensions"]["code"] for error in body["errors"]] == [
        "CREDENTIAL_FIELD_REPEATED"
    ]
    assert await snapshot(app) == before


async def test_one_of_each_and_the_payloads_invitation_field_pass(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": LOOKUP_AND_ACCEPT, "operationName": "Look"}
    )

    assert response.json() == {"data": {"invitation": None}}
