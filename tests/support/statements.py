"""Counting the SQL statements the app runs (``before_cursor_execute`` on its engine)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event

from tests.support.app import runtime


class StatementCounter:
    """SQL statements the app's engine runs while counting; ``len`` counts them all."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def __len__(self) -> int:
        return len(self.statements)

    @property
    def queries(self) -> list[str]:
        """Statements but transaction control (SQLite's reads send their own BEGIN)."""
        control = ("BEGIN", "COMMIT", "ROLLBACK")
        return [one for one in self.statements if not one.lstrip().upper().startswith(control)]

    @property
    def writes(self) -> list[str]:
        verbs = ("INSERT", "UPDATE", "DELETE")
        return [one for one in self.statements if one.lstrip().upper().startswith(verbs)]


@contextmanager
def counting(app: FastAPI) -> Iterator[StatementCounter]:
    """The statements the running app sends inside the block."""
    engine = runtime(app).database.engine.sync_engine
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)
