"""The signing key ring: one active ES256 key signs, every unexpired key verifies."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from identity.audit_events import EventType
from identity.clock import Clock
from identity.db import Database
from identity.models import SigningKey
from identity.principal import RequestMeta
from identity.security.keys import (
    decrypt_private_key,
    encrypt_private_key,
    generate_signing_key,
    jwks,
)
from identity.services import audit

log = logging.getLogger(__name__)

RELOAD_AFTER = timedelta(minutes=5)
UNKNOWN_KID_RELOAD_INTERVAL = timedelta(seconds=5)
VERIFY_LEEWAY = timedelta(seconds=60)


@dataclass(slots=True)
class ActiveKey:
    kid: str
    private_jwk: dict[str, Any]


@dataclass(slots=True)
class KeyRing:
    """Cached in memory; reloaded every few minutes and when a token names an unknown key."""

    database: Database
    secret_key: str
    clock: Clock
    active: ActiveKey | None = None
    public: dict[str, dict[str, Any]] = field(default_factory=dict)
    loaded_at: datetime | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def load(self) -> ActiveKey:
        """Read the keys, creating the first one when there is none.

        Replicas starting together may both find none: the one-active-key index lets one
        insert win, and the others read the winner's key.
        """
        async with self._lock:
            now = self.clock.now()
            try:
                rows = await self._read_or_create(now)
            except IntegrityError:
                rows = await self._read_or_create(now)
            active = next(row for row in rows if row.retired_at is None)
            self.active = ActiveKey(
                active.kid, decrypt_private_key(active.private_key_encrypted, self.secret_key)
            )
            self.public = {row.kid: row.public_jwk for row in rows}
            self.loaded_at = now
            return self.active

    async def _read_or_create(self, now: datetime) -> list[SigningKey]:
        async with self.database.unit_of_work() as session:
            found = await session.execute(
                select(SigningKey)
                .where(or_(col(SigningKey.expires_at).is_(None), col(SigningKey.expires_at) > now))
                .order_by(col(SigningKey.created_at).desc())
            )
            rows = list(found.scalars().all())
            if not any(row.retired_at is None for row in rows):
                created = _new_key_row(self.secret_key, now)
                session.add(created)
                rows.insert(0, created)
        return rows

    async def signing_key(self) -> ActiveKey:
        if self.active is None or self._stale(RELOAD_AFTER):
            return await self.load()
        return self.active

    async def public_keys(self, kid: str | None = None) -> dict[str, dict[str, Any]]:
        """The verifying keys; an unknown ``kid`` triggers a (throttled) reload."""
        if self.loaded_at is None or self._stale(RELOAD_AFTER):
            await self.load()
        elif (
            kid is not None and kid not in self.public and self._stale(UNKNOWN_KID_RELOAD_INTERVAL)
        ):
            await self.load()
        return self.public

    async def jwks(self) -> dict[str, Any]:
        return jwks(list((await self.public_keys()).values()))

    def _stale(self, age: timedelta) -> bool:
        return self.loaded_at is None or self.clock.now() - self.loaded_at > age


def _new_key_row(secret_key: str, now: datetime) -> SigningKey:
    generated = generate_signing_key()
    return SigningKey(
        kid=generated.kid,
        algorithm=generated.algorithm,
        private_key_encrypted=encrypt_private_key(generated.private_jwk, secret_key),
        public_jwk=generated.public_jwk,
        created_at=now,
    )


async def rotate(
    *, database: Database, secret_key: str, clock: Clock, access_token_ttl: timedelta
) -> str:
    """Add a new signing key; the old ones verify until the tokens they signed have expired."""
    now = clock.now()
    async with database.unit_of_work() as session:
        await session.execute(
            update(SigningKey)
            .where(col(SigningKey.retired_at).is_(None))
            .values(retired_at=now, expires_at=now + access_token_ttl + VERIFY_LEEWAY)
        )
        row = _new_key_row(secret_key, now)
        session.add(row)
        audit.record(
            session,
            event_type=EventType.KEY_ROTATED,
            now=now,
            meta=RequestMeta(),
            resource="signing_key",
            resource_id=row.kid,
        )
    log.info("signing key rotated; new kid %s", row.kid)
    return row.kid
