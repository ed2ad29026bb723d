"""What a running app holds for the length of its lifespan, shared by REST and GraphQL."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from identity.clock import Clock, SystemClock
from identity.config import Settings
from identity.db import Database
from identity.mail.smtp import transport_for
from identity.mail.worker import MailWorker
from identity.observability.metrics import Metrics
from identity.security.passwords import PasswordHasher
from identity.services.deps import Deps
from identity.services.keys import KeyRing

LOCAL_SECRET_FILE = ".identity-secret"  # noqa: S105 (a file name)


def data_dir(settings: Settings) -> Path:
    """Where the service keeps local files: beside the SQLite database, or the cwd."""
    path = settings.sqlite_path()
    return (path.parent if path else Path.cwd()).resolve()


def secret_key(settings: Settings) -> str:
    """The configured secret; outside production, one generated once and kept (mode 0600)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = data_dir(settings) / LOCAL_SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass(slots=True)
class Runtime:
    settings: Settings
    database: Database
    metrics: Metrics
    clock: Clock = field(default_factory=SystemClock)
    deps: Deps = field(init=False)
    mail: MailWorker = field(init=False)
    started_at: float = 0.0

    def __post_init__(self) -> None:
        self.started_at = self.clock.monotonic()
        self.deps = Deps(
            settings=self.settings,
            database=self.database,
            clock=self.clock,
            hasher=PasswordHasher(max_workers=self.settings.password_workers),
            keys=KeyRing(self.database, secret_key(self.settings), self.clock),
        )
        self.mail = MailWorker(
            database=self.database,
            transport=transport_for(self.settings),
            clock=self.clock,
            settings=self.settings,
        )

    async def start(self) -> None:
        await self.deps.keys.load()
        self.mail.start()

    async def stop(self) -> None:
        await self.mail.stop()

    def close(self) -> None:
        self.deps.hasher.close()

    def uptime_seconds(self) -> float:
        return round(self.clock.monotonic() - self.started_at, 3)

    def data_dir(self) -> Path:
        return data_dir(self.settings)
