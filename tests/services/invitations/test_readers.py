"""The batch reader behind GraphQL's ``Tenant.invitations``: several tenants' invitations,
newest first, with totals, paged and filtered by computed status, in two statements per
status asked. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from identity.models import Invitation, InvitationStatus
from identity.services.invitations.readers import InvitationsKey, invitations_of_tenants
from tests.factories import new_invitation, new_tenant
from tests.support.app import runtime
from tests.support.statements import counting


def ours(queries: list[str]) -> list[str]:
    """The statements of the reader (the mail worker polls its outbox meanwhile)."""
    return [one for one in queries if "mail_outbox" not in one]


async def test_pages_totals_and_statuses_of_several_tenants(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a, b = await new_tenant(app), await new_tenant(app)
    mine = [await new_invitation(app, a, f"a{number}@example.com") for number in range(3)]
    theirs = await new_invitation(app, b, "b@example.com")
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(
            update(Invitation)
            .where(col(Invitation.id) == mine[0])
            .values(status=InvitationStatus.REVOKED)
        )
    keys = [
        InvitationsKey(a, None, 0, 2),
        InvitationsKey(a, None, 2, 2),
        InvitationsKey(b, None, 0, 5),
        InvitationsKey(a, InvitationStatus.REVOKED, 0, 5),
        InvitationsKey(a, InvitationStatus.PENDING, 0, 5),
        InvitationsKey(uuid.uuid4(), None, 0, 5),
    ]

    with counting(app) as counter:
        async with runtime(app).database.read() as session:
            found = await invitations_of_tenants(session, keys, now=runtime(app).clock.now())

    assert len(ours(counter.queries)) == 6  # totals and rows for each of the 3 statuses asked
    first, second, of_b, revoked, pending, unknown = found
    assert (first.total, second.total, of_b.total) == (3, 3, 1)
    listed = [one.invitation.id for one in (*first.items, *second.items)]
    assert (len(first.items), len(second.items)) == (2, 1)
    assert sorted(listed) == sorted(mine)
    assert [one.invitation.id for one in of_b.items] == [theirs]
    assert [(one.invitation.id, one.status) for one in revoked.items] == [
        (mine[0], InvitationStatus.REVOKED)
    ]
    assert pending.total == 2
    assert {one.invitation.id for one in pending.items} == set(mine[1:])
    assert (unknown.items, unknown.total) == ([], 0)
