"""Audit rows as Core inserts, for hot paths that add no ORM object to their transaction.

The row is exactly the one ``identity.services.audit.record`` adds: same columns, same
values, ``details`` ``{}`` when none are given. ``insert_audit_from`` writes it inside a
statement whose other parts name the account and the session (a CTE's columns).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, bindparam, insert, literal, null, select

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


def insert_audit_from(
    event_type: EventType, *, user_id: Any, session_id: Any, tenant_id: Any, when: Any = None
) -> Insert:
    """The audit row of ``event_type`` with actor and subject ``user_id``, ``session_id`` and
    ``tenant_id`` taken from the same statement (columns), written only ``when`` (a
    condition) holds. The rest is bound: ``audit_id``, ``now``, ``audit_ip_address``,
    ``audit_user_agent``, ``audit_request_id``, ``audit_details``."""
    no_text: Any = null()
    row = select(
        bindparam("audit_id", type_=AUDIT_TABLE.c.id.type),
        bindparam("now", type_=AUDIT_TABLE.c.created_at.type),
        literal(event_type.value),
        user_id,
        user_id,
        session_id,
        tenant_id,
        no_text,
        no_text,
        bindparam("audit_ip_address", type_=AUDIT_TABLE.c.ip_address.type),
        bindparam("audit_user_agent", type_=AUDIT_TABLE.c.user_agent.type),
        bindparam("audit_request_id", type_=AUDIT_TABLE.c.request_id.type),
        bindparam("audit_details", type_=AUDIT_TABLE.c.details.type),
    )
    if when is not None:
        row = row.where(when)
    columns = [
        "id",
        "created_at",
        "event_type",
        "actor_id",
        "subject_id",
        "session_id",
        "tenant_id",
        "resource",
        "resource_id",
        "ip_address",
        "user_agent",
        "request_id",
        "details",
    ]
    return insert(AUDIT_TABLE).from_select(columns, row)
