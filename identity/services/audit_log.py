"""The audit log's listing: who may read which rows, filtered and paged.

``audit:read`` held globally (the super-admin) reaches every row; held through a tenant's
role (the tenant ``admin`` role grants it) it reaches only the rows recorded with that
tenant's ``tenant_id`` (``tenancy.Reach.rows``): a tenant admin never sees another tenant's
rows nor the installation's global ones (logins, settings), whatever the filters name.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import ColumnElement, func, or_, select
from sqlmodel import col

from identity.errors import ValidationFailed
from identity.models import AuditEvent
from identity.permissions import Permission
from identity.principal import Principal
from identity.services import tenancy
from identity.services._kit import Page, PageRequest
from identity.services.deps import Deps

MAX_PAGE: Final = 100
DEFAULT_PAGE: Final = 50
MAX_FILTER: Final = 100
"""The longest ``action`` or ``resource`` filter: the columns hold at most 100 characters."""


class Status(StrEnum):
    """Seed 004's ``status`` filter: whether the event records a failure."""

    SUCCESS = "success"
    FAILURE = "failure"


FAILURE_SUFFIXES: Final = ("failed", "locked")
"""An event type ending with one of these records a failure (``login.failed``,
``token.refresh_failed``, ``account.locked``)."""


def parse_status(value: str | None) -> Status | None:
    """``value`` as a Status (blank: no filter); ValidationFailed naming ``status``."""
    if value is None or not value.strip():
        return None
    try:
        return Status(value.strip().lower())
    except ValueError:
        allowed = ", ".join(one.value for one in Status)
        raise ValidationFailed(f"status must be one of: {allowed}", field="status") from None


def _text(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) > MAX_FILTER or any(ord(one) < 32 or ord(one) == 127 for one in text):
        raise ValidationFailed(
            f"{field} must be at most {MAX_FILTER} printable characters", field=field
        )
    return text


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _failed() -> ColumnElement[bool]:
    event_type = col(AuditEvent.event_type)
    return or_(*(event_type.endswith(one) for one in FAILURE_SUFFIXES))


async def list_audit_logs(
    deps: Deps,
    *,
    principal: Principal | None,
    user_id: uuid.UUID | None = None,
    action: str | None = None,
    resource: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    offset: int = 0,
    limit: int = DEFAULT_PAGE,
) -> Page[AuditEvent]:
    """Audit rows within the caller's ``audit:read`` reach, newest first (ties by id).

    ``user_id``: rows the user did or that happened to them (actor or subject); ``action``:
    an event type (``login.failed``) or its family (``login``); ``resource``: the resource
    named by the row; ``status``: ``success`` or ``failure``; ``start``/``end``: recorded at
    or after ``start``, before ``end`` (a moment without a zone is UTC). Blank filters are no filter
    (seed 004's example sends them empty)."""
    reached = await tenancy.reach(deps, principal, Permission.AUDIT_READ)
    page = PageRequest.checked(offset, limit, max_limit=MAX_PAGE)
    wanted_action = _text(action, "action")
    wanted_resource = _text(resource, "resource")
    wanted_status = parse_status(status)
    conditions: list[ColumnElement[bool]] = [reached.rows(AuditEvent)]
    if user_id is not None:
        conditions.append(
            or_(col(AuditEvent.actor_id) == user_id, col(AuditEvent.subject_id) == user_id)
        )
    if wanted_action is not None:
        event_type = col(AuditEvent.event_type)
        conditions.append(
            or_(
                event_type == wanted_action,
                event_type.startswith(wanted_action + ".", autoescape=True),
            )
        )
    if wanted_resource is not None:
        conditions.append(col(AuditEvent.resource) == wanted_resource)
    if start is not None:
        conditions.append(col(AuditEvent.created_at) >= _utc(start))
    if end is not None:
        conditions.append(col(AuditEvent.created_at) < _utc(end))
    if wanted_status is Status.FAILURE:
        conditions.append(_failed())
    elif wanted_status is Status.SUCCESS:
        conditions.append(~_failed())
    listed = page.apply(
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
    )
    counted = select(func.count()).select_from(AuditEvent).where(*conditions)
    async with deps.database.read() as session:
        total = await session.scalar(counted) or 0
        items = list((await session.scalars(listed)).all())
    return Page(items=items, total=total, offset=page.offset, limit=page.limit)


def status_of(event: AuditEvent) -> Status:
    """Whether ``event`` records a failure (the ``status`` filter's reading)."""
    failed = event.event_type.endswith(FAILURE_SUFFIXES)
    return Status.FAILURE if failed else Status.SUCCESS
