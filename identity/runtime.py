"""What a running app holds for the length of its lifespan, shared by REST and GraphQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from identity.clock import Clock, SystemClock
from identity.config import Settings
from identity.db import Database
from identity.observability.metrics import Metrics


@dataclass(slots=True)
class Runtime:
    settings: Settings
    database: Database
    metrics: Metrics
    clock: Clock = field(default_factory=SystemClock)
    started_at: float = 0.0

    def __post_init__(self) -> None:
        self.started_at = self.clock.monotonic()

    def uptime_seconds(self) -> float:
        return round(self.clock.monotonic() - self.started_at, 3)

    def data_dir(self) -> Path:
        """Where the service keeps local files: beside the SQLite database, or the cwd."""
        path = self.settings.sqlite_path()
        return (path.parent if path else Path.cwd()).resolve()
