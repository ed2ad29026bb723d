"""The audit log listings: seed 003's ``/v1/audit/logs`` (``limit``/``offset``) and seeds
000 and 004's ``/api/v1/audit/logs`` (``page``/``size``, seed 000's ``start_date``/``end_date``).

Both ask ``audit_log.list_audit_logs``, which requires ``audit:read``: held globally it lists
every row, held through a tenant's role only that tenant's rows. Seed 004's example sends its
filters empty (``user_id=&action=``): an empty filter is no filter. Export, statistics and
user activity are not served yet (``not_served``).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import BeforeValidator, Field

from identity.models import AuditEvent
from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.params import FilterText, Offset, Page
from identity.rest.responses.audit import AuditLogOut, AuditLogsOut, AuditLogsPageOut
from identity.rest.routing import row
from identity.rest.shapes import when
from identity.services import audit_log
from identity.services._kit import Page as Listed


def _blank_is_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


UserFilter = Annotated[uuid.UUID | None, BeforeValidator(_blank_is_none)]
"""``user_id``: a UUID (malformed: 422 naming ``user_id``), blank for none."""
Moment = Annotated[datetime | None, BeforeValidator(_blank_is_none)]
"""``start_date`` and ``end_date`` (seed 000): a date or an ISO 8601 moment (UTC without a
zone), blank for none."""
StatusFilter = Annotated[str, Field(pattern=r"^(|success|failure)$")]
"""``status``: ``success``, ``failure``, or blank for none."""
EventFilter = Annotated[
    FilterText, Field(max_length=audit_log.MAX_FILTER, pattern=r"^[^\x00-\x1f\x7f]*$")
]
"""``action`` and ``resource``: at most 100 characters, no control characters."""
PageSize = Annotated[int, Ge(1), Le(audit_log.MAX_PAGE)]
"""``limit`` and ``size``: 1 to 100."""


def log_json(event: AuditEvent) -> dict[str, Any]:
    user = event.actor_id or event.subject_id
    tenant = str(event.tenant_id) if event.tenant_id else None
    return {
        "id": str(event.id),
        "user_id": str(user) if user else None,
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "subject_id": str(event.subject_id) if event.subject_id else None,
        "event_type": event.event_type,
        "action": event.event_type,
        "status": audit_log.status_of(event).value,
        "resource": event.resource,
        "resource_id": event.resource_id,
        "tenant_id": tenant,
        "organization_id": tenant,
        "ip": event.ip_address,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "details": event.details,
        "created_at": when(event.created_at),
    }


async def list_logs(
    deps: DepsDep,
    principal: PrincipalDep,
    limit: PageSize = audit_log.DEFAULT_PAGE,
    offset: Offset = 0,
    user_id: UserFilter = None,
    action: EventFilter | None = None,
    resource: EventFilter | None = None,
    status: StatusFilter | None = None,
) -> dict[str, Any]:
    found: Listed[AuditEvent] = await audit_log.list_audit_logs(
        deps,
        principal=principal,
        user_id=user_id,
        action=action,
        resource=resource,
        status=status,
        offset=offset,
        limit=limit,
    )
    return {
        "logs": [log_json(one) for one in found.items],
        "limit": found.limit,
        "offset": found.offset,
        "count": len(found.items),
        "total": found.total,
    }


async def list_logs_page(
    deps: DepsDep,
    principal: PrincipalDep,
    page: Page = 1,
    size: PageSize = audit_log.DEFAULT_PAGE,
    user_id: UserFilter = None,
    action: EventFilter | None = None,
    resource: EventFilter | None = None,
    status: StatusFilter | None = None,
    start_date: Moment = None,
    end_date: Moment = None,
) -> dict[str, Any]:
    found = await audit_log.list_audit_logs(
        deps,
        principal=principal,
        user_id=user_id,
        action=action,
        resource=resource,
        status=status,
        start=start_date,
        end=end_date,
        offset=(page - 1) * size,
        limit=size,
    )
    return {
        "items": [log_json(one) for one in found.items],
        "total": found.total,
        "page": page,
        "size": size,
        "pages": math.ceil(found.total / size),
    }


ROUTES = (
    row(
        "GET",
        "/v1/audit/logs",
        list_logs,
        "List audit logs, newest first (audit:read; a tenant admin: their tenant's rows)",
        seeds="003",
        response=AuditLogsOut,
    ),
    row(
        "GET",
        "/api/v1/audit/logs",
        list_logs_page,
        "List audit logs by page, newest first (audit:read; an organization admin: its rows)",
        seeds="000 004",
        response=AuditLogsPageOut,
    ),
)

__all__ = ["ROUTES", "AuditLogOut", "log_json"]
