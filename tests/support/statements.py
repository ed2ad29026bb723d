"""Counting the SQL statements the app runs (``before_cursor_execute`` on its engine, and
those run on the driver)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event

from identity import db_driver
from tests.support.app import runtime


class StatementCounter:
    """SQL statements the app's engine runs while counting; ``len`` counts them all.

    With ``task``, only those that task runs: a request served in-process over ASGI, not the
    work it leaves for after its answer (a task of its own).
    """

    def __init__(self, task: asyncio.Task[Any] | None = None) -> None:
        self.statements: list[str] = []
        self._task = task

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._task is None or asyncio.current_task() is self._task:
            self.statements.append(statement)

    def driven(self, statement: str) -> None:
        """A statement run on the driver (``identity.db_driver``)."""
        self(None, None, statement)

    def __len__(self) -> int:
        return len(self.statements)

    @property
    def queries(self) -> list[str]:
        """Statements but transaction control (SQLite's reads send their own BEGIN)."""
        control = ("BEGIN", "COMMIT", "ROLLBACK")
        return [one for one in self.statements if not one.lstrip().upper().startswith(control)]

    @property
    def asked(self) -> list[str]:
        """``queries`` but the runtime settings' reads, which come whenever their cache
        (``runtime_settings.CACHE_SECONDS``) has run out, whatever the request: on a slow
        machine between any two requests."""
        return [one for one in self.queries if "FROM runtime_settings" not in one]

    @property
    def pings(self) -> list[str]:
        """``SELECT 1``: the database health check."""
        return [one for one in self.statements if one.strip().upper() == "SELECT 1"]

    @property
    def writes(self) -> list[str]:
        verbs = ("INSERT", "UPDATE", "DELETE")
        return [one for one in self.statements if one.lstrip().upper().startswith(verbs)]


@contextmanager
def counting(app: FastAPI, *, this_task: bool = False) -> Iterator[StatementCounter]:
    """The statements the running app sends inside the block (``this_task``: only those the
    calling task runs itself)."""
    engine = runtime(app).database.engine.sync_engine
    counter = StatementCounter(asyncio.current_task() if this_task else None)
    event.listen(engine, "before_cursor_execute", counter)
    stop_observing = db_driver.observe(counter.driven)
    try:
        yield counter
    finally:
        stop_observing()
        event.remove(engine, "before_cursor_execute", counter)
