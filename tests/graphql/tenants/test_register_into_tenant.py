"""GraphQL ``register(input: {organizationId})``, the same service call as REST's seed 004
registration: only into an active tenant open to self-registration (else PermissionDenied
SELF_REGISTRATION_NOT_ALLOWED, alike for a closed, inactive, unknown or malformed id, and no
account is made), TENANT_FULL when it has no room. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from identity.models import TenantMember
from tests.factories import ACCOUNT_PASSWORD, add_member, add_user, new_tenant
from tests.support.app import runtime
from tests.support.graphql import gql_field
from tests.support.snapshot import snapshot

REGISTER = """mutation($input: RegisterInput!) { register(input: $input) {
  __typename ... on RegisterPayload { user { id email } } ... on Error { code message field }
} }"""


def registering(email: str, organization: object) -> dict[str, object]:
    return {
        "input": {"email": email, "password": ACCOUNT_PASSWORD, "organizationId": str(organization)}
    }


async def test_an_open_tenant_takes_the_new_account(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenant = await new_tenant(app, allow_self_registration=True)

    made = await gql_field(client, REGISTER, registering("open@example.com", tenant))

    assert made["__typename"] == "RegisterPayload", made
    async with runtime(app).database.read() as session:
        member = await session.get(TenantMember, (tenant, uuid.UUID(made["user"]["id"])))
    assert member is not None


@pytest.mark.parametrize("case", ["closed", "inactive", "unknown", "malformed"])
async def test_a_tenant_not_open_refuses_alike_and_makes_nothing(
    app: FastAPI, client: httpx.AsyncClient, case: str
) -> None:
    organization: object = {
        "closed": await new_tenant(app),
        "inactive": await new_tenant(app, is_active=False, allow_self_registration=True),
        "unknown": uuid.uuid4(),
        "malformed": "org_uuid_here",
    }[case]
    before = await snapshot(app)

    refused = await gql_field(client, REGISTER, registering("refused@example.com", organization))

    assert refused == {
        "__typename": "PermissionDenied",
        "code": "SELF_REGISTRATION_NOT_ALLOWED",
        "message": "This organization does not accept self-registration",
        "field": None,
    }
    assert await snapshot(app) == before


async def test_a_full_tenant_is_tenant_full(app: FastAPI, client: httpx.AsyncClient) -> None:
    tenant = await new_tenant(app, max_users=1, allow_self_registration=True)
    await add_member(app, tenant, await add_user(app))
    before = await snapshot(app)

    refused = await gql_field(client, REGISTER, registering("late@example.com", tenant))

    assert (refused["__typename"], refused["code"]) == ("Conflict", "TENANT_FULL")
    assert await snapshot(app) == before
