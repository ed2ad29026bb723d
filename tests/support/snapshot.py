"""The database as stored, to compare before and after a refused request: every row of the
tables an administrative request may change, as plain tuples."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from identity.models import metadata
from tests.support.app import runtime

SKIPPED = frozenset(
    {"audit_events", "login_throttles", "mail_outbox", "mail_attempts", "mail_quotas"}
)
"""What a refusal may write besides (its audit row, attempt counters) and what the mail
worker changes meanwhile."""


async def snapshot(app: FastAPI) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but ``SKIPPED``, sorted, by table name."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with runtime(app).database.read() as session:
        for table in metadata.sorted_tables:
            if table.name in SKIPPED:
                continue
            rows = (await session.execute(select(table))).all()
            found[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return found
