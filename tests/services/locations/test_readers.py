"""The batch readers behind GraphQL's ``Tenant.locations`` and ``Location.users``: several
tenants' locations in one statement, pages of several locations' users (by email) in two.
SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from identity.services.locations.readers import UsersKey, locations_of_tenants, user_pages
from tests.factories import add_user, new_location, new_tenant
from tests.support.app import runtime
from tests.support.statements import counting


def ours(queries: list[str]) -> list[str]:
    """The statements of the reader (the mail worker polls its outbox meanwhile)."""
    return [one for one in queries if "mail_outbox" not in one]


async def test_locations_of_tenants_by_name(app: FastAPI, client: httpx.AsyncClient) -> None:
    a, b, empty = await new_tenant(app), await new_tenant(app), await new_tenant(app)
    beta = await new_location(app, a, "BETA")
    alpha = await new_location(app, a, "ALPHA")
    other = await new_location(app, b, "OTHER")

    with counting(app) as counter:
        async with runtime(app).database.read() as session:
            found = await locations_of_tenants(session, [a, b, empty, a])

    assert len(ours(counter.queries)) == 1
    assert [one.id for one in found[a]] == [alpha, beta]
    assert [one.id for one in found[b]] == [other]
    assert found[empty] == []


async def test_pages_of_several_locations_users_by_email(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenant = await new_tenant(app)
    zed, amy, bob = (
        await add_user(app, "zed@example.com"),
        await add_user(app, "amy@example.com"),
        await add_user(app, "bob@example.com"),
    )
    crowded = await new_location(app, tenant, "CROWDED", assigned=[zed, amy, bob])
    lonely = await new_location(app, tenant, "LONELY", assigned=[zed])
    keys = [
        UsersKey(crowded, 0, 2),
        UsersKey(crowded, 2, 2),
        UsersKey(lonely, 0, 10),
        UsersKey(uuid.uuid4(), 0, 10),
    ]

    with counting(app) as counter:
        async with runtime(app).database.read() as session:
            first, rest, alone, unknown = await user_pages(session, keys)

    assert len(ours(counter.queries)) == 2
    assert [one.user.email for one in first.items] == ["amy@example.com", "bob@example.com"]
    assert [one.user.email for one in rest.items] == ["zed@example.com"]
    assert (first.total, rest.total, first.has_next, rest.has_next) == (3, 3, True, False)
    assert [(one.user.id, one.is_primary) for one in alone.items] == [(zed, True)]
    assert (unknown.items, unknown.total) == ([], 0)
