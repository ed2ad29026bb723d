"""Who is calling, and from where: what every service that acts for a caller receives."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from identity.models import User


@dataclass(frozen=True, slots=True)
class RequestMeta:
    """Where a request came from, for sessions and audit rows."""

    ip_address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class Holding:
    """What a caller holds acting in their active tenant (``permissions``: global ones plus
    those of the tenant's roles) and the part of it held globally (``everywhere``), which
    reaches every tenant."""

    permissions: frozenset[str] = frozenset()
    everywhere: frozenset[str] = frozenset()


async def _none() -> Holding:
    return Holding()


class HeldPermissions:
    """The caller's effective permissions, read on first use and then kept.

    A principal lives for one request (one GraphQL operation), so they are read at most once
    per request (from the principal cache when it holds them: ``identity.invalidation``) and
    a revocation is seen by the next request; writes check again inside their transaction
    (``identity.services.access``). Concurrent first uses (aliased GraphQL fields) share one
    read.
    """

    __slots__ = ("_pending", "_read")

    def __init__(self, read: Callable[[], Awaitable[Holding]] = _none) -> None:
        self._read = read
        self._pending: asyncio.Future[Holding] | None = None

    async def holding(self) -> Holding:
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._read())
        return await self._pending

    async def get(self) -> frozenset[str]:
        return (await self.holding()).permissions


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a user acting through one session.

    ``user`` is the account row read together with the session check (or a fresh detached
    copy of it from the principal cache), so a request that only needs the caller's own
    account (``me``) costs one query at most; it is the request's own object. ``held`` gives the
    caller's permissions (``await principal.permissions()``), read once per request.
    ``tenant_id`` is the tenant the caller acts in: their session's active tenant, read
    with the session on each request (never from the token alone), and None when they act
    in no tenant or are no longer a member of it (``identity.services.tenancy``).
    """

    user: User
    user_id: uuid.UUID
    session_id: uuid.UUID
    email: str
    role: str
    token_id: str
    meta: RequestMeta = field(default_factory=RequestMeta)
    # The token may only change the password (``must_change_password``).
    password_change_only: bool = False
    tenant_id: uuid.UUID | None = None
    held: HeldPermissions = field(default_factory=HeldPermissions, compare=False, repr=False)

    async def permissions(self) -> frozenset[str]:
        """The caller's effective permissions, read at most once per request."""
        return await self.held.get()
