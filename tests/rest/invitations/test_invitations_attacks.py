"""What an invitation refuses: replays and parallel accepts, expiry to the second, bad tokens
answered alike, full or inactive tenants, another tenant's invitations, resends past the
day's limit, and tokens that die with what they prove."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlmodel import col

from identity.models import Invitation, PermissionRow, RolePermission, Tenant, TenantMember, User
from tests.factories import (
    Caller,
    add_user,
    new_tenant,
    super_admin,
    tenant_admin,
    tenant_token,
    token_for,
)
from tests.flows.conftest import ShiftedClock, settled
from tests.support.app import runtime
from tests.support.http import assert_error, bearer, post_ok
from tests.support.invitations import (
    ACCEPT,
    LIST,
    VALIDATE,
    invitation_row,
    invite,
    mailed_token,
    new_account,
    one,
    tenant_role,
)
from tests.support.mail import Mailbox

EMAIL = "invitee@example.com"


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def count(app: FastAPI, statement: Any) -> int:
    async with runtime(app).database.read() as session:
        return int(await session.scalar(statement) or 0)


async def accounts_of(app: FastAPI, email: str) -> int:
    return await count(
        app, select(func.count()).select_from(User).where(col(User.email_key) == email)
    )


async def members_of(app: FastAPI, tenant_id: uuid.UUID) -> int:
    return await count(
        app,
        select(func.count())
        .select_from(TenantMember)
        .where(col(TenantMember.tenant_id) == tenant_id),
    )


async def invited(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, **tenant: Any
) -> tuple[uuid.UUID, dict[str, Any], str]:
    """A tenant, an invitation of its administrator to EMAIL, and the mailed token."""
    tenant_id = await new_tenant(app, **tenant)
    admin = await tenant_admin(app, tenant_id)
    created = await invite(client, admin.token, EMAIL)
    return tenant_id, created, await mailed_token(mailbox, EMAIL)


async def test_ten_parallel_accepts_make_one_account_and_one_member(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id, created, token = await invited(app, client, mailbox)

    answers = await asyncio.gather(
        *(client.post(ACCEPT, json=new_account(token)) for _ in range(10))
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [404] * 9, [answer.text for answer in answers]
    for answer in answers:
        if answer.status_code == 404:
            assert_error(answer, 404, "INVITATION_INVALID")
    assert await accounts_of(app, EMAIL) == 1
    assert await members_of(app, tenant_id) == 2  # the administrator and the invitee
    assert (await invitation_row(app, created["id"])).status == "accepted"


async def test_ten_parallel_accepts_by_the_signed_in_account_join_once(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    user_id = await add_user(app, EMAIL)
    tenant_id, _, token = await invited(app, client, mailbox)
    headers = bearer(await token_for(app, user_id))

    answers = await asyncio.gather(
        *(client.post(ACCEPT, json={"token": token}, headers=headers) for _ in range(10))
    )

    assert sorted(answer.status_code for answer in answers) == [200] + [404] * 9
    assert await members_of(app, tenant_id) == 2


async def test_a_token_works_until_the_second_it_expires(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, clock: ShiftedClock
) -> None:
    tenant_id = await new_tenant(app)
    admin = await tenant_admin(app, tenant_id)
    created = await invite(client, admin.token, EMAIL, expires_in_days=1)
    token = await mailed_token(mailbox, EMAIL)
    expires_at = when(created["expires_at"])
    assert expires_at - when(created["created_at"]) == timedelta(days=1)

    clock.move_to(expires_at - timedelta(seconds=1))
    await post_ok(client, VALIDATE, {"token": token})

    clock.move_to(expires_at)
    admin = Caller(admin.id, await tenant_token(app, admin.id, tenant_id))
    assert_error(await client.post(VALIDATE, json={"token": token}), 404, "INVITATION_INVALID")
    assert_error(await client.post(ACCEPT, json=new_account(token)), 404, "INVITATION_INVALID")
    listed = await client.get(LIST, params={"status": "expired"}, headers=admin.headers)
    assert [one["id"] for one in listed.json()["invitations"]] == [created["id"]]
    assert listed.json()["invitations"][0]["status"] == "expired"
    pending = await client.get(LIST, params={"status": "pending"}, headers=admin.headers)
    assert pending.json()["total"] == 0
    assert_error(
        await client.delete(one(created["id"]), headers=admin.headers),
        409,
        "INVITATION_NOT_PENDING",
    )
    assert_error(
        await client.post(one(created["id"]) + "/resend", headers=admin.headers),
        409,
        "INVITATION_NOT_PENDING",
    )
    assert await accounts_of(app, EMAIL) == 0

    # an expired invitation no longer blocks a new one to the address
    again = await invite(client, admin.token, EMAIL)
    assert again["status"] == "pending"
    assert (await invitation_row(app, created["id"])).status == "expired"


async def test_unknown_used_revoked_and_expired_tokens_get_one_answer(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, clock: ShiftedClock
) -> None:
    tenant_id = await new_tenant(app)
    admin = await tenant_admin(app, tenant_id)
    tokens: dict[str, str] = {}
    for kind in ("used", "revoked", "expired"):
        created = await invite(client, admin.token, f"{kind}@example.com", expires_in_days=2)
        tokens[kind] = await mailed_token(mailbox, f"{kind}@example.com")
        if kind == "revoked":
            await client.delete(one(created["id"]), headers=admin.headers)
    await post_ok(client, ACCEPT, new_account(tokens["used"]))
    tokens["unknown"] = "x" * 43
    clock.advance(days=2)

    for path, body in ((VALIDATE, {}), (ACCEPT, {"password": "Another-Passphrase-2026!"})):
        answers = {
            kind: await client.post(path, json={"token": token, **body})
            for kind, token in tokens.items()
        }
        errors = {
            kind: assert_error(answer, 404, "INVITATION_INVALID")
            for kind, answer in answers.items()
        }
        shapes = {
            kind: {
                key: value for key, value in error.items() if key not in {"request_id", "timestamp"}
            }
            for kind, error in errors.items()
        }
        assert len({repr(shape) for shape in shapes.values()}) == 1, shapes


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [
        ("", 404, "INVITATION_INVALID"),
        ("a" * 201, 404, "INVITATION_INVALID"),
        ("\\u0000abc", 404, "INVITATION_INVALID"),
        ("\\ud800", 422, "VALIDATION_ERROR"),
        ("a" * 501, 422, "VALIDATION_ERROR"),
        (12345, 422, "VALIDATION_ERROR"),
    ],
    ids=["empty", "too-long-for-a-token", "control", "surrogate", "oversized", "not-a-string"],
)
async def test_malformed_tokens_are_refused_without_a_crash(
    client: httpx.AsyncClient, token: object, status: int, code: str
) -> None:
    raw = f'{{"token": "{token}"}}' if isinstance(token, str) else f'{{"token": {token}}}'
    for path in (VALIDATE, ACCEPT):
        answer = await client.post(
            path, content=raw.encode(), headers={"Content-Type": "application/json"}
        )
        assert_error(answer, status, code)


async def test_a_full_tenant_refuses_and_the_invitation_stays_pending(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id, created, token = await invited(app, client, mailbox, max_users=1)

    assert_error(await client.post(ACCEPT, json=new_account(token)), 409, "TENANT_FULL")

    assert (await invitation_row(app, created["id"])).status == "pending"
    assert await accounts_of(app, EMAIL) == 0
    assert await members_of(app, tenant_id) == 1
    await post_ok(client, VALIDATE, {"token": token})

    # room made: the same token works
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(update(Tenant).where(col(Tenant.id) == tenant_id).values(max_users=2))
    await post_ok(client, ACCEPT, new_account(token))


async def test_an_inactive_tenant_refuses_and_the_invitation_stays_pending(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id, created, token = await invited(app, client, mailbox)
    async with runtime(app).database.unit_of_work() as session:
        await session.execute(
            update(Tenant).where(col(Tenant.id) == tenant_id).values(is_active=False)
        )

    assert_error(await client.post(ACCEPT, json=new_account(token)), 409, "TENANT_INACTIVE")
    assert (await invitation_row(app, created["id"])).status == "pending"
    assert await accounts_of(app, EMAIL) == 0


async def test_another_tenants_invitations_are_not_found_and_unchanged(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    ours = await new_tenant(app)
    theirs = await new_tenant(app)
    admin = await tenant_admin(app, ours)
    other = await tenant_admin(app, theirs)
    their_role = await tenant_role(app, theirs)
    mine = await invite(client, admin.token, "mine@example.com")
    foreign = await invite(client, other.token, EMAIL)
    before = await invitation_row(app, foreign["id"])

    for method, path in (
        ("GET", one(foreign["id"])),
        ("DELETE", one(foreign["id"])),
        ("POST", one(foreign["id"]) + "/resend"),
    ):
        answer = await client.request(method, path, headers=admin.headers)
        assert_error(answer, 404, "RESOURCE_NOT_FOUND")
    listed = (await client.get(LIST, headers=admin.headers)).json()
    assert [one["id"] for one in listed["invitations"]] == [mine["id"]]
    assert listed["total"] == 1
    filtered = await client.get(LIST, params={"tenant_id": str(theirs)}, headers=admin.headers)
    assert filtered.json()["total"] == 0
    assert_error(
        await client.post(
            LIST, json={"email": "x@example.com", "tenant_id": str(theirs)}, headers=admin.headers
        ),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert_error(
        await client.post(
            LIST, json={"email": "x@example.com", "role_id": str(their_role)}, headers=admin.headers
        ),
        404,
        "RESOURCE_NOT_FOUND",
    )
    after = await invitation_row(app, foreign["id"])
    assert after.model_dump() == before.model_dump()
    await settled(app)
    assert len(mailbox.received_by(EMAIL)) == 1


async def test_resends_stop_at_five_a_day(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, clock: ShiftedClock
) -> None:
    tenant_id = await new_tenant(app)
    admin = await tenant_admin(app, tenant_id)
    created = await invite(client, admin.token, EMAIL)
    resend = one(created["id"]) + "/resend"

    async def resent() -> httpx.Response:
        # past the per-recipient mail cap's interval; a token of the moved clock's time
        clock.advance(minutes=16)
        headers = bearer(await tenant_token(app, admin.id, tenant_id))
        return await client.post(resend, headers=headers)

    for number in range(1, 6):
        answer = await resent()
        assert answer.status_code == 200, answer.text
        assert answer.json()["resend_count"] == number
    error = assert_error(await resent(), 409, "INVITATION_RESEND_LIMIT")
    assert error["details"]["resends_per_day"] == 5

    clock.advance(days=1)
    assert (await resent()).json()["resend_count"] == 6


async def test_the_per_recipient_mail_cap_holds_for_invitations(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id = await new_tenant(app)
    admin = await tenant_admin(app, tenant_id)
    created = await invite(client, admin.token, EMAIL)
    resend = one(created["id"]) + "/resend"
    for _ in range(4):
        await post_ok(client, resend, headers=admin.headers)

    refused = await client.post(resend, headers=admin.headers)

    assert_error(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert (await invitation_row(app, created["id"])).resend_count == 4


async def test_a_deleted_tenant_takes_its_invitations_tokens_with_it(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    tenant_id, created, token = await invited(app, client, mailbox)
    root = await super_admin(app)

    deleted = await client.delete(f"/v1/tenants/{tenant_id}", headers=root.headers)

    assert deleted.status_code in (200, 204), deleted.text
    assert_error(await client.post(VALIDATE, json={"token": token}), 404, "INVITATION_INVALID")
    assert_error(await client.post(ACCEPT, json=new_account(token)), 404, "INVITATION_INVALID")
    async with runtime(app).database.read() as session:
        gone = await session.get(Invitation, uuid.UUID(created["id"]))
    assert gone is None


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"email": "not-an-address"}, 422, "VALIDATION_ERROR", "email"),
        ({"email": EMAIL, "message": "hi\u202eevil"}, 422, "VALIDATION_ERROR", "message"),
        ({"email": EMAIL, "message": "x" * 1001}, 422, "VALIDATION_ERROR", "message"),
        ({"email": EMAIL, "expires_in_days": 31}, 422, "VALIDATION_ERROR", "expires_in_days"),
        ({"email": EMAIL, "expires_in_days": 0}, 422, "VALIDATION_ERROR", "expires_in_days"),
        ({"email": EMAIL, "role_id": str(uuid.uuid4())}, 404, "RESOURCE_NOT_FOUND", "role_id"),
    ],
    ids=["email", "control-characters", "long-message", "31-days", "0-days", "unknown-role"],
)
async def test_bad_invitations_are_refused_and_nothing_is_stored(
    app: FastAPI,
    client: httpx.AsyncClient,
    body: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    tenant_id = await new_tenant(app)
    admin = await tenant_admin(app, tenant_id)

    answer = await client.post(LIST, json=body, headers=admin.headers)

    error = assert_error(answer, status, code)
    assert field in str(error["details"])
    assert await count(app, select(func.count()).select_from(Invitation)) == 0


async def test_a_caller_of_no_tenant_must_name_one(app: FastAPI, client: httpx.AsyncClient) -> None:
    root = await super_admin(app)
    assert_error(
        await client.post(LIST, json={"email": EMAIL}, headers=root.headers),
        422,
        "TENANT_REQUIRED",
    )


async def test_inviting_with_a_role_beyond_the_inviters_permissions_is_escalation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenant_id = await new_tenant(app)
    admin = await tenant_admin(app, tenant_id)
    mighty = await tenant_role(app, tenant_id, "mighty")
    async with runtime(app).database.unit_of_work() as session:
        granted = await session.scalar(
            select(col(PermissionRow.id)).where(col(PermissionRow.name) == "settings:write")
        )
        assert granted is not None
        session.add(RolePermission(role_id=mighty, permission_id=granted))

    answer = await client.post(
        LIST, json={"email": EMAIL, "role_id": str(mighty)}, headers=admin.headers
    )

    error = assert_error(answer, 403, "PRIVILEGE_ESCALATION")
    assert error["details"]["permissions"] == ["settings:write"]
    assert await count(app, select(func.count()).select_from(Invitation)) == 0
