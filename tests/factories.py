"""The one place tests make accounts, roles, permissions and tokens.

Rows are inserted directly in the database (no password hashing, so tables of cases stay
fast); tokens are those a login would issue. Two kinds of super-admin: ``super_admin`` is a
fresh one with an address of its own, ``root`` the one who signs in as root@example.com (the
address the seeds' examples use).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple, cast

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.models import (
    PermissionRow,
    Role,
    RolePermission,
    Tenant,
    User,
    UserPermission,
    UserRole,
    set_primary_role,
)
from identity.principal import RequestMeta
from identity.services.held import global_role
from identity.services.tenants.admin_role import create_admin_role, grant_admin
from identity.services.tenants.membership import join, locked_tenant
from identity.services.tokens import access_token, open_session
from tests.support.app import runtime
from tests.support.http import bearer

PASSWORD = "Admin-Password-2026!"
"""A password an administrator gives to the accounts it creates."""
ACCOUNT_PASSWORD = "SecurePassword123!"
"""The password ``register`` signs up with."""
ROOT = "root@example.com"

_numbers = itertools.count()


class Caller(NamedTuple):
    """An account and an access token of it; unpacks as ``user_id, token``."""

    id: uuid.UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


async def _permission_ids(session: AsyncSession, names: Iterable[str]) -> list[uuid.UUID]:
    wanted = [str(one) for one in names]
    if not wanted:
        return []
    found = await session.scalars(
        select(col(PermissionRow.id)).where(col(PermissionRow.name).in_(wanted))
    )
    return list(found.all())


async def new_role(
    app: FastAPI, permissions: Iterable[str] = (), *, name: str | None = None
) -> uuid.UUID:
    """A global custom role granting ``permissions``; returns its id."""
    name = name or f"role-{next(_numbers)}"
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        role = Role(name=name, created_at=now, updated_at=now)
        session.add(role)
        await session.flush()
        ids = await _permission_ids(session, permissions)
        session.add_all(RolePermission(role_id=role.id, permission_id=one) for one in ids)
        return role.id


async def new_primary_role(
    app: FastAPI, permissions: Iterable[str] = (), *, name: str | None = None
) -> str:
    """A global custom role granting ``permissions``; returns its name, what ``role=`` takes."""
    name = name or f"role-{next(_numbers)}"
    await new_role(app, permissions, name=name)
    return name


async def new_permission(app: FastAPI, name: str) -> uuid.UUID:
    """A custom (not built-in) permission ``resource:action``."""
    now = runtime(app).clock.now()
    resource, _, action = name.partition(":")
    async with runtime(app).database.unit_of_work() as session:
        row = PermissionRow(
            name=name, resource=resource, action=action, created_at=now, updated_at=now
        )
        session.add(row)
        await session.flush()
        return row.id


async def add_user(
    app: FastAPI,
    email: str | None = None,
    *,
    role: str = "user",
    roles: Iterable[uuid.UUID] = (),
    permissions: Iterable[str] = (),
    created_at: datetime | None = None,
    **fields: Any,
) -> uuid.UUID:
    """An account without a password: primary ``role`` (a name), the extra ``roles`` (ids),
    direct grants of ``permissions``, and any other column in ``fields``."""
    email = email or f"user{next(_numbers)}@example.com"
    now = created_at or runtime(app).clock.now()
    username = fields.pop("username", None)
    async with runtime(app).database.unit_of_work() as session:
        user = User(
            email=email,
            email_key=email.lower(),
            username=username,
            username_key=username.lower() if username else None,
            created_at=now,
            updated_at=now,
            **fields,
        )
        await _set_primary_role(session, user, role)
        session.add(user)
        await session.flush()
        session.add_all(UserRole(user_id=user.id, role_id=one, created_at=now) for one in roles)
        ids = await _permission_ids(session, permissions)
        session.add_all(
            UserPermission(user_id=user.id, permission_id=one, created_at=now) for one in ids
        )
        return user.id


async def _set_primary_role(session: AsyncSession, user: User, role: str) -> None:
    row = await global_role(session, role)
    assert row is not None, f"no role {role!r}"
    set_primary_role(user, row)


async def token_for(app: FastAPI, user_id: uuid.UUID) -> str:
    """An access token of a new session of the account, as a login would issue."""
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        user = await session.get(User, user_id)
        assert user is not None
        auth_session = open_session(
            session, deps, user=user, meta=RequestMeta(), device_info=None, auth_method="test"
        )
    return (await access_token(deps, user=user, auth_session=auth_session)).token


async def caller(
    app: FastAPI,
    *,
    role: str = "user",
    permissions: Iterable[str] | None = None,
    email: str | None = None,
) -> Caller:
    """An account with a token; ``permissions`` come through a custom role of its own, held
    beside the primary ``role``."""
    extra = [await new_role(app, permissions)] if permissions is not None else []
    user_id = await add_user(app, email, role=role, roles=extra)
    return Caller(user_id, await token_for(app, user_id))


async def super_admin(app: FastAPI, email: str | None = None) -> Caller:
    """A fresh super-admin with an address of its own."""
    return await caller(app, role="superadmin", email=email)


async def root(app: FastAPI, email: str = ROOT) -> Caller:
    """The super-admin who signs in as root@example.com (or ``email``)."""
    return await caller(app, role="superadmin", email=email)


async def register(
    client: httpx.AsyncClient,
    email: str,
    *,
    status: int = 201,
    password: str = ACCOUNT_PASSWORD,
    **fields: Any,
) -> httpx.Response:
    """``POST /api/v1/auth/register`` (seed 000), answered with ``status``."""
    body = {"email": email, "password": password, **fields}
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == status, response.text
    return response


async def login_token(
    client: httpx.AsyncClient, identifier: str, password: str = ACCOUNT_PASSWORD
) -> str:
    """The access token ``POST /v1/auth/login`` (seed 002) answers."""
    response = await client.post("/v1/auth/login", json={"email": identifier, "password": password})
    assert response.status_code == 200, response.text
    return cast(str, response.json()["access_token"])


async def set_setting(app: FastAPI, client: httpx.AsyncClient, key: str, value: Any) -> None:
    """A runtime setting changed over REST by a fresh super-admin."""
    admin = await super_admin(app)
    response = await client.patch(
        f"/v1/admin/settings/{key}", json={"value": value}, headers=admin.headers
    )
    assert response.status_code == 200, response.text


async def new_tenant(
    app: FastAPI, slug: str | None = None, *, name: str | None = None, **fields: Any
) -> uuid.UUID:
    """A tenant with its ``admin`` role (as creating one over the API makes it), any other
    column in ``fields`` (``max_users``, ``is_active``, ``allow_self_registration``...)."""
    slug = slug or f"tenant-{next(_numbers)}"
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        tenant = Tenant(name=name or slug, slug=slug, created_at=now, updated_at=now, **fields)
        session.add(tenant)
        await session.flush()
        await create_admin_role(session, tenant_id=tenant.id, now=now)
        return tenant.id


async def add_member(app: FastAPI, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Make the account a member of the tenant (``membership.join``: room is checked, the
    first tenant joined becomes the primary one)."""
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        tenant = await locked_tenant(session, tenant_id)
        user = await session.get(User, user_id)
        assert user is not None
        await join(session, tenant=tenant, user=user, now=now)


async def tenant_token(app: FastAPI, user_id: uuid.UUID, tenant_id: uuid.UUID | None) -> str:
    """An access token of a new session whose active tenant is ``tenant_id``."""
    deps = runtime(app).deps
    async with deps.database.unit_of_work() as session:
        user = await session.get(User, user_id)
        assert user is not None
        auth_session = open_session(
            session, deps, user=user, meta=RequestMeta(), device_info=None, auth_method="test"
        )
        auth_session.tenant_id = tenant_id
    return (await access_token(deps, user=user, auth_session=auth_session)).token


async def tenant_member(
    app: FastAPI, tenant_id: uuid.UUID, email: str | None = None, **fields: Any
) -> Caller:
    """A regular member of the tenant with a token whose active tenant it is."""
    user_id = await add_user(app, email, **fields)
    await add_member(app, tenant_id, user_id)
    return Caller(user_id, await tenant_token(app, user_id, tenant_id))


async def tenant_admin(app: FastAPI, tenant_id: uuid.UUID, email: str | None = None) -> Caller:
    """A member of the tenant holding the tenant's ``admin`` role (primary role ``user``),
    with a token whose active tenant it is."""
    user_id = await add_user(app, email)
    await add_member(app, tenant_id, user_id)
    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        user = await session.get(User, user_id)
        assert user is not None
        assert await grant_admin(session, tenant_id=tenant_id, user=user, now=now)
    return Caller(user_id, await tenant_token(app, user_id, tenant_id))


async def new_location(
    app: FastAPI, tenant_id: uuid.UUID, code: str, *, assigned: Iterable[uuid.UUID] = ()
) -> uuid.UUID:
    """A location of the tenant, ``assigned`` members on it (it is their primary one)."""
    from identity.models import Location, UserLocation

    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        location = Location(
            tenant_id=tenant_id, name=f"Site {code}", code=code, created_at=now, updated_at=now
        )
        session.add(location)
        await session.flush()
        session.add_all(
            UserLocation(user_id=one, location_id=location.id, is_primary=True, assigned_at=now)
            for one in assigned
        )
        return location.id


async def new_invitation(app: FastAPI, tenant_id: uuid.UUID, email: str) -> uuid.UUID:
    """A pending invitation of the tenant to ``email`` (valid 7 days; no mail is queued)."""
    from datetime import timedelta

    from identity.models import Invitation, InvitationStatus
    from identity.security.secrets import hash_token, new_token
    from identity.services.text_rules import identifier_key

    now = runtime(app).clock.now()
    async with runtime(app).database.unit_of_work() as session:
        invitation = Invitation(
            tenant_id=tenant_id,
            email=email,
            email_key=identifier_key(email),
            token_hash=hash_token(new_token(32)),
            status=InvitationStatus.PENDING,
            last_sent_at=now,
            expires_at=now + timedelta(days=7),
            created_at=now,
            updated_at=now,
        )
        session.add(invitation)
        await session.flush()
        return invitation.id
