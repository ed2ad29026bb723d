"""Audit rows, added to the caller's transaction so an event and its change commit together.

Event types come from the catalogue ``identity.audit_events.EventType``, never free strings.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit_events import EventType
from identity.models import AuditEvent
from identity.principal import RequestMeta


def record(
    session: AsyncSession,
    *,
    event_type: EventType,
    now: datetime,
    meta: RequestMeta,
    actor_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    resource: str | None = None,
    resource_id: str | None = None,
    details: dict[str, Any] | None = None,
    tenant_id: uuid.UUID | None = None,
) -> None:
    """One audit row in the caller's transaction; ``tenant_id`` is the tenant the change
    belongs to (a tenant admin's audit view holds only their tenant's rows)."""
    session.add(
        AuditEvent(
            created_at=now,
            event_type=event_type.value,
            actor_id=actor_id,
            subject_id=subject_id,
            session_id=session_id,
            tenant_id=tenant_id,
            resource=resource,
            resource_id=resource_id,
            ip_address=meta.ip_address,
            user_agent=meta.user_agent,
            request_id=meta.request_id,
            details=details or {},
        )
    )
