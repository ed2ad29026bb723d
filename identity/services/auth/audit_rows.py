"""Audit rows as Core inserts, for hot paths that add no ORM object to their transaction.

The row is exactly the one ``identity.services.audit.record`` adds: same columns, same
values, ``details`` ``{}`` when none are given.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert

from identity.audit_events import EventType
from identity.models import AuditEvent
from identity.principal import RequestMeta

AUDIT_TABLE: Table = AuditEvent.__table__  # type: ignore[attr-defined]
INSERT_AUDIT = insert(AUDIT_TABLE)


def audit_values(
    *,
    event_type: EventType,
    now: datetime,
    meta: RequestMeta,
    actor_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    tenant_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The parameters of ``INSERT_AUDIT`` for one row (``audit.record``'s arguments)."""
    return {
        "id": uuid.uuid4(),
        "created_at": now,
        "event_type": event_type.value,
        "actor_id": actor_id,
        "subject_id": subject_id,
        "session_id": session_id,
        "tenant_id": tenant_id,
        "resource": None,
        "resource_id": None,
        "ip_address": meta.ip_address,
        "user_agent": meta.user_agent,
        "request_id": meta.request_id,
        "details": details or {},
    }
