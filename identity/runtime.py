"""What a running app holds for the length of its lifespan, shared by REST and GraphQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from identity.clock import Clock, SystemClock
from identity.config import Settings
from identity.db import Database
from identity.invalidation.cache import PrincipalCache
from identity.invalidation.channel import Channel, cache_enabled, channel_for
from identity.mail.smtp import transport_for
from identity.mail.worker import MailWorker
from identity.observability.metrics import Metrics
from identity.ratelimit import Limiter
from identity.security.passwords import PasswordHasher
from identity.security.sealing import Sealer
from identity.security.service_secret import LOCAL_SECRET_FILE, data_dir, secret_key
from identity.services import after_answer
from identity.services.deps import Deps
from identity.services.keys import KeyRing

__all__ = ["LOCAL_SECRET_FILE", "Runtime", "data_dir", "open_database", "secret_key"]

OUTBOX_KEY_INFO = b"identity mail outbox v1"


def open_database(settings: Settings) -> Database:
    """The service's database, sealing outbox bodies under the service secret.

    The secret is read (and a local one created) only when the first mail is sealed or opened.
    """
    sealer = Sealer(partial(secret_key, settings), info=OUTBOX_KEY_INFO)
    return Database(settings, outbox_sealer=sealer)


@dataclass(slots=True)
class Runtime:
    settings: Settings
    database: Database
    metrics: Metrics
    clock: Clock = field(default_factory=SystemClock)
    deps: Deps = field(init=False)
    mail: MailWorker = field(init=False)
    limiter: Limiter = field(init=False)
    invalidation: Channel = field(init=False)
    started_at: float = 0.0

    def __post_init__(self) -> None:
        self.started_at = self.clock.monotonic()
        self.limiter = Limiter.from_settings(self.settings)
        principals = PrincipalCache(enabled=cache_enabled(self.settings))
        self.invalidation = channel_for(principals, self.database, self.settings)
        self.deps = Deps(
            settings=self.settings,
            database=self.database,
            clock=self.clock,
            hasher=PasswordHasher(
                time_cost=self.settings.password_time_cost,
                memory_cost=self.settings.password_memory_kib,
                max_workers=self.settings.password_workers,
            ),
            keys=KeyRing(self.database, secret_key(self.settings), self.clock),
            limiter=self.limiter,
            principals=principals,
        )
        self.mail = MailWorker(
            database=self.database,
            transport=transport_for(self.settings),
            clock=self.clock,
            settings=self.settings,
        )

    async def start(self) -> None:
        await self.deps.keys.load()
        await self.invalidation.start()
        self.mail.start()

    async def stop(self) -> None:
        await after_answer.settle()
        await self.mail.stop()
        await self.invalidation.stop()
        await self.limiter.aclose()

    def close(self) -> None:
        self.deps.hasher.close()

    def uptime_seconds(self) -> float:
        return round(self.clock.monotonic() - self.started_at, 3)

    def data_dir(self) -> Path:
        return data_dir(self.settings)
