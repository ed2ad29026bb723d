"""Answers of the audit log listings (seed 003's ``/v1/audit/logs``, seed 004's
``/api/v1/audit/logs``)."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict


class AuditLogOut(TypedDict):
    """One audit row; ``action`` (seed 004) and ``event_type`` (seed 003) name the event,
    ``user_id`` is who did it (the actor, else the account it happened to)."""

    id: str
    user_id: str | None
    actor_id: str | None
    subject_id: str | None
    event_type: str
    action: str
    status: str
    resource: str | None
    resource_id: str | None
    tenant_id: str | None
    organization_id: str | None
    ip: str | None
    ip_address: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, Any]
    created_at: str | None


class AuditLogsOut(TypedDict):
    """Seed 003's page: ``count`` rows of this page out of ``total``."""

    logs: list[AuditLogOut]
    limit: int
    offset: int
    count: int
    total: int


class AuditLogsPageOut(TypedDict):
    """Seed 004's page: page ``page`` of ``pages``, ``size`` rows each."""

    items: list[AuditLogOut]
    total: int
    page: int
    size: int
    pages: int
