"""A clock a test can move, installed into a running app (the only fake our tests use)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import cast

from fastapi import FastAPI

from identity.clock import SystemClock
from identity.runtime import Runtime


class MovableClock:
    """The system time plus an offset the test sets; it never runs backwards by itself."""

    def __init__(self) -> None:
        self._system = SystemClock()
        self.offset = timedelta()
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return (self._frozen or self._system.now()) + self.offset

    def freeze(self) -> None:
        """From now on the time moves only when the test moves it: for an expiry checked at
        the second, which a slow machine's real seconds would otherwise cross."""
        self._frozen = self._system.now()

    def monotonic(self) -> float:
        return self._system.monotonic() + self.offset.total_seconds()

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)

    def move_to(self, moment: datetime) -> None:
        """From now on read about ``moment`` (plus the little real time that passes)."""
        self.offset += moment - self.now()


def install_clock(app: FastAPI) -> MovableClock:
    """Make the running app's services and mail worker read a movable clock from now on."""
    clock = MovableClock()
    running = cast(Runtime, app.state.runtime)
    running.clock = clock
    running.deps = dataclasses.replace(running.deps, clock=clock)
    running.mail.clock = clock
    return clock


def minutes_from(moment: str, now: datetime) -> float:
    """Minutes from ``now`` to an ISO 8601 ``moment`` of an answer."""
    return (datetime.fromisoformat(moment.replace("Z", "+00:00")) - now) / timedelta(minutes=1)
