"""Reading the audit log as stored, oldest first."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from sqlalchemy import or_, select
from sqlmodel import col

from identity.models import AuditEvent
from tests.support.app import runtime


async def audit_events(
    app: FastAPI, event_type: str | None = None, *, user: uuid.UUID | None = None
) -> list[AuditEvent]:
    """Audit rows, oldest first: of ``event_type`` only, and where ``user`` is the actor or
    the subject, when given."""
    statement = select(AuditEvent).order_by(col(AuditEvent.created_at))
    if event_type is not None:
        statement = statement.where(col(AuditEvent.event_type) == event_type)
    if user is not None:
        statement = statement.where(
            or_(col(AuditEvent.actor_id) == user, col(AuditEvent.subject_id) == user)
        )
    async with runtime(app).database.read() as session:
        return list((await session.scalars(statement)).all())
