"""Per-request loaders: each batch calls a service batch reader in its own short read session
and returns rows; the GraphQL types wrap them (``ready``).

One AsyncSession is never shared by resolvers that run concurrently (asyncpg refuses
"another operation is in progress"), so every batch reads through ``database.read()``.

Loaders know rows, never GraphQL types (an import-linter contract). What a type builds from
a loaded value is kept beside it, once per key and request: ``ready(loader, key, wrap)``
returns the same wrapped list to every parent that asks (a role's permissions, built once
for its hundred holders; the role itself built once for all of them, through the loader's
``shared`` objects), and returns it at once when the value is loaded already, so a page
whose loaders were primed completes without one task per item.
"""

from __future__ import annotations

import asyncio
import uuid
from asyncio import Future
from collections.abc import Awaitable, Callable, Hashable, Sequence
from functools import cached_property
from typing import Any, TypeVar, cast

from aiodataloader import DataLoader
from strawberry.types.nodes import Selection

from identity.clock import Clock
from identity.db import Database
from identity.models import AuthSession, Location, PermissionRow, Role
from identity.services import authorization, locations, roles, sessions
from identity.services._kit import Page
from identity.services.invitations import readers as invitation_readers
from identity.services.locations import readers as location_readers
from identity.services.mfa import state as mfa_state
from identity.services.tenancy import Reach
from identity.services.tenants import members as tenant_members
from identity.services.tenants import readers as tenant_readers
from identity.services.tenants import stats as tenant_stats
from schema.selection import selects

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
W = TypeVar("W")


class RowLoader(DataLoader[K, V]):
    """A loader of rows, with what the types built from each loaded value."""

    def __init__(self, database: Database) -> None:
        self.loaded: dict[K, Future[V]] = {}
        """The loader's cache (``cache_map``): each key's future."""
        super().__init__(cache_map=self.loaded)
        self.database = database
        self.wrapped: dict[K, Any] = {}
        """What ``ready`` built from each key's value."""
        self.shared: dict[Hashable, Any] = {}
        """Objects the wraps of several keys share (one GraphQL Role for all its holders)."""

    def clear(self, key: K) -> RowLoader[K, V]:
        self.wrapped.pop(key, None)
        super().clear(key)
        return self

    async def fill(self, keys: Sequence[K]) -> list[V]:
        """The values of ``keys``, those not loaded yet read now in one batch and kept, as
        ``load_many`` would but without its machinery (a queued future per key, a loop turn
        to dispatch, a gather of a hundred futures): a page primes its items this way. The
        keys' futures are in the cache while the batch runs, so a ``load`` meanwhile waits
        for it instead of reading again."""
        missing = [key for key in dict.fromkeys(keys) if key not in self.loaded]
        if missing:
            loop = asyncio.get_running_loop()
            waiting = {key: loop.create_future() for key in missing}
            self.loaded.update(waiting)
            try:
                values = await self.batch_load_fn(missing)
            except BaseException as exc:
                for key, future in waiting.items():
                    self.loaded.pop(key, None)
                    _fail(future, exc)
                raise
            for future, value in zip(waiting.values(), values, strict=True):
                if isinstance(value, Exception):
                    _fail(future, value)
                else:
                    future.set_result(value)
        found = [self.loaded[key] for key in keys]
        for future in found:
            if not future.done():
                await future
        return [future.result() for future in found]


def _fail(future: Future[Any], exc: BaseException) -> None:
    """End ``future`` with ``exc`` (cancelled for a cancellation), marked as retrieved: those
    who await it get the error, nobody else is warned of it."""
    if not isinstance(exc, Exception):
        future.cancel()
        return
    future.set_exception(exc)
    future.exception()


Wrap = Callable[[V, dict[Hashable, Any]], W]
"""Builds what a type returns from a loaded value (and the loader's ``shared`` objects)."""


def ready(loader: RowLoader[K, V], key: K, wrap: Wrap[V, W]) -> W | Future[W]:
    """``wrap`` of the value loaded for ``key``, built once per request: at once when it is
    loaded (or wrapped) already, else a future of it (a future, not a coroutine: the short
    path may drop it unawaited and call the resolver again)."""
    if key in loader.wrapped:
        return cast(W, loader.wrapped[key])
    loaded = loader.load(key)
    if loaded.done() and not loaded.cancelled() and loaded.exception() is None:
        built = loader.wrapped[key] = wrap(loaded.result(), loader.shared)
        return built
    wrapped: Future[W] = asyncio.get_running_loop().create_future()

    def finish(done: Future[V]) -> None:
        if wrapped.cancelled():
            return
        if done.cancelled():
            wrapped.cancel()
        elif (error := done.exception()) is not None:
            wrapped.set_exception(error)
        else:
            try:
                if key not in loader.wrapped:
                    loader.wrapped[key] = wrap(done.result(), loader.shared)
            except Exception as exc:  # the resolver awaiting it reports it
                wrapped.set_exception(exc)
                return
            wrapped.set_result(cast(W, loader.wrapped[key]))

    loaded.add_done_callback(finish)
    return wrapped


def as_loaded(value: V, shared: dict[Hashable, Any]) -> V:
    """The wrap of a value a type returns as loaded (names, not rows)."""
    return value


class ActiveSessionsByUser(RowLoader[uuid.UUID, list[AuthSession]]):
    def __init__(self, database: Database, clock: Clock) -> None:
        super().__init__(database)
        self.clock = clock

    async def batch_load_fn(self, user_ids: Sequence[uuid.UUID]) -> list[list[AuthSession]]:
        async with self.database.read() as session:
            found = await sessions.active_sessions_of(session, user_ids, now=self.clock.now())
        return [found[user_id] for user_id in user_ids]


ViewerTenant = Callable[[], Awaitable[uuid.UUID | None]]
"""The tenant the request's caller acts in (None: none, or anonymous), asked when a batch
runs: by then the caller is known."""


async def no_tenant() -> uuid.UUID | None:
    return None


class RolesByUser(RowLoader[uuid.UUID, list[Role]]):
    """The roles held that count where the caller acts (the global ones and those of the
    caller's active tenant): the primary role first, then the others by name."""

    def __init__(self, database: Database, tenant: ViewerTenant = no_tenant) -> None:
        super().__init__(database)
        self.tenant = tenant

    async def batch_load_fn(self, user_ids: Sequence[uuid.UUID]) -> list[list[Role]]:
        tenant_id = await self.tenant()
        async with self.database.read() as session:
            found = await roles.held_roles(session, user_ids, tenant_id=tenant_id)
        return [found.get(user_id, []) for user_id in user_ids]


class PermissionsByRole(RowLoader[uuid.UUID, list[PermissionRow]]):
    """A role's permissions, by name."""

    async def batch_load_fn(self, role_ids: Sequence[uuid.UUID]) -> list[list[PermissionRow]]:
        async with self.database.read() as session:
            found = await roles.permissions_of_roles(session, role_ids)
        return [found.get(role_id, []) for role_id in role_ids]


class PermissionsByUser(RowLoader[uuid.UUID, list[str]]):
    """Effective permission names, sorted, as the authorization service computes them for
    the tenant the caller acts in (each user's global permissions and those of their roles
    of that tenant)."""

    def __init__(self, database: Database, tenant: ViewerTenant = no_tenant) -> None:
        super().__init__(database)
        self.tenant = tenant

    async def batch_load_fn(self, user_ids: Sequence[uuid.UUID]) -> list[list[str]]:
        tenant_id = await self.tenant()
        async with self.database.read() as session:
            found = await authorization.grants(session, user_ids, tenant_id=tenant_id)
        return [found[user_id].ordered for user_id in user_ids]


class HoldersByRole(RowLoader[roles.HoldersKey, roles.HoldersPage]):
    """Pages of a role's holders (Role.users), every role of a request in two statements."""

    async def batch_load_fn(self, keys: Sequence[roles.HoldersKey]) -> list[roles.HoldersPage]:
        async with self.database.read() as session:
            return await roles.role_holders(session, keys)


class LocationsByUser(RowLoader[uuid.UUID, list[locations.Assignment]]):
    """A user's locations, primary ones first (User.locations), every user of a request in
    one statement; ``reach`` keeps where the caller's locations:read reaches, asked once."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.reach: asyncio.Future[Reach | None] | None = None

    async def batch_load_fn(
        self, user_ids: Sequence[uuid.UUID]
    ) -> list[list[locations.Assignment]]:
        async with self.database.read() as session:
            found = await locations.locations_of_users(session, user_ids)
        return [found[user_id] for user_id in user_ids]


class MembersByTenant(RowLoader[tenant_members.MembersKey, Page[tenant_members.Member]]):
    """Pages of tenants' members (Tenant.members), every tenant of a request in two
    statements."""

    async def batch_load_fn(
        self, keys: Sequence[tenant_members.MembersKey]
    ) -> list[Page[tenant_members.Member]]:
        async with self.database.read() as session:
            return await tenant_members.member_pages(session, keys)


class RolesByTenant(RowLoader[uuid.UUID, list[Role]]):
    """A tenant's own roles, by name (Tenant.roles)."""

    async def batch_load_fn(self, tenant_ids: Sequence[uuid.UUID]) -> list[list[Role]]:
        async with self.database.read() as session:
            found = await tenant_readers.roles_of_tenants(session, tenant_ids)
        return [found[tenant_id] for tenant_id in tenant_ids]


class StatsByTenant(RowLoader[uuid.UUID, tenant_stats.TenantStats]):
    """A tenant's figures (Tenant.stats), every tenant of a request in five statements."""

    def __init__(self, database: Database, clock: Clock) -> None:
        super().__init__(database)
        self.clock = clock

    async def batch_load_fn(
        self, tenant_ids: Sequence[uuid.UUID]
    ) -> list[tenant_stats.TenantStats]:
        async with self.database.read() as session:
            found = await tenant_stats.stats_of(session, tenant_ids, now=self.clock.now())
        return [found[tenant_id] for tenant_id in tenant_ids]


class LocationsByTenant(RowLoader[uuid.UUID, list[Location]]):
    """A tenant's locations, by name (Tenant.locations), every tenant of a request in one
    statement."""

    async def batch_load_fn(self, tenant_ids: Sequence[uuid.UUID]) -> list[list[Location]]:
        async with self.database.read() as session:
            found = await location_readers.locations_of_tenants(session, tenant_ids)
        return [found[tenant_id] for tenant_id in tenant_ids]


class UsersByLocation(RowLoader[location_readers.UsersKey, Page[location_readers.LocationUser]]):
    """Pages of locations' users (Location.users), every location of a request in two
    statements."""

    async def batch_load_fn(
        self, keys: Sequence[location_readers.UsersKey]
    ) -> list[Page[location_readers.LocationUser]]:
        async with self.database.read() as session:
            return await location_readers.user_pages(session, keys)


class InvitationsByTenant(
    RowLoader[invitation_readers.InvitationsKey, invitation_readers.TenantInvitations]
):
    """A tenant's newest invitations (Tenant.invitations), every tenant of a request in two
    statements per status asked."""

    def __init__(self, database: Database, clock: Clock) -> None:
        super().__init__(database)
        self.clock = clock

    async def batch_load_fn(
        self, keys: Sequence[invitation_readers.InvitationsKey]
    ) -> list[invitation_readers.TenantInvitations]:
        async with self.database.read() as session:
            return await invitation_readers.invitations_of_tenants(
                session, keys, now=self.clock.now()
            )


class MfaByUser(RowLoader[uuid.UUID, mfa_state.MfaSummary]):
    """Users' second factors (User.mfa), every user of a request in three statements."""

    async def batch_load_fn(self, user_ids: Sequence[uuid.UUID]) -> list[mfa_state.MfaSummary]:
        async with self.database.read() as session:
            found = await mfa_state.summaries(session, user_ids)
        return [found[user_id] for user_id in user_ids]


class WebauthnByUser(RowLoader[uuid.UUID, mfa_state.KeysOfUser]):
    """Users' security keys and passkeys (Mfa.webauthnCredentials), in one statement."""

    async def batch_load_fn(self, user_ids: Sequence[uuid.UUID]) -> list[mfa_state.KeysOfUser]:
        async with self.database.read() as session:
            found = await mfa_state.webauthn_credentials_of(session, user_ids)
        return [found[user_id] for user_id in user_ids]


class Loaders:
    """One set per request: caches never outlive the request that filled them. ``tenant``
    tells the tenant the caller acts in: a user's roles and permissions are those that count
    there. Each loader is built on first use: most operations use none or one of them, and
    building all fourteen cost a tenth of GraphQL ``me``."""

    def __init__(self, database: Database, clock: Clock, tenant: ViewerTenant = no_tenant) -> None:
        self.database = database
        self.clock = clock
        self.tenant = tenant

    @cached_property
    def active_sessions_by_user(self) -> ActiveSessionsByUser:
        return ActiveSessionsByUser(self.database, self.clock)

    @cached_property
    def roles_by_user(self) -> RolesByUser:
        return RolesByUser(self.database, self.tenant)

    @cached_property
    def permissions_by_role(self) -> PermissionsByRole:
        return PermissionsByRole(self.database)

    @cached_property
    def permissions_by_user(self) -> PermissionsByUser:
        return PermissionsByUser(self.database, self.tenant)

    @cached_property
    def holders_by_role(self) -> HoldersByRole:
        return HoldersByRole(self.database)

    @cached_property
    def members_by_tenant(self) -> MembersByTenant:
        return MembersByTenant(self.database)

    @cached_property
    def roles_by_tenant(self) -> RolesByTenant:
        return RolesByTenant(self.database)

    @cached_property
    def stats_by_tenant(self) -> StatsByTenant:
        return StatsByTenant(self.database, self.clock)

    @cached_property
    def locations_by_user(self) -> LocationsByUser:
        return LocationsByUser(self.database)

    @cached_property
    def mfa_by_user(self) -> MfaByUser:
        return MfaByUser(self.database)

    @cached_property
    def webauthn_by_user(self) -> WebauthnByUser:
        return WebauthnByUser(self.database)

    @cached_property
    def locations_by_tenant(self) -> LocationsByTenant:
        return LocationsByTenant(self.database)

    @cached_property
    def users_by_location(self) -> UsersByLocation:
        return UsersByLocation(self.database)

    @cached_property
    def invitations_by_tenant(self) -> InvitationsByTenant:
        return InvitationsByTenant(self.database, self.clock)

    async def prime_users(self, user_ids: list[uuid.UUID], node: list[Selection]) -> None:
        """Load what ``node`` (a User's selection) asks for, for every user of a page, before
        the page is completed: one batch per loader as before, but then each user's roles
        and permissions are ready and complete without a task apiece."""
        jobs: list[Awaitable[object]] = []
        if selects(node, "roles"):
            jobs.append(self.roles_by_user.fill(user_ids))
        if selects(node, "permissions"):
            jobs.append(self.permissions_by_user.fill(user_ids))
        if len(jobs) == 1:
            await jobs[0]
        elif jobs:
            await asyncio.gather(*jobs)
        if selects(node, "roles", "permissions"):
            held = await self.roles_by_user.fill(user_ids)
            await self.permissions_by_role.fill(
                list(dict.fromkeys(role.id for rows in held for role in rows))
            )
