"""The state of the service's own components, for administrators (seed 003's services).

Each component is checked for real when asked: the database answers a query; the mail worker's
task is alive, its transport is configured, and its queue is not falling behind; a signing key
is active in the database and loaded in this process. Reading it needs ``settings:read``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import col

from identity.mail.smtp import ConsoleTransport, SmtpTransport, UnconfiguredTransport
from identity.mail.worker import MailWorker
from identity.models import MailStatus, OutboxMail, SigningKey
from identity.permissions import Permission
from identity.principal import Principal
from identity.services import authorization
from identity.services.deps import Deps
from identity.services.health import Status, check_database

log = logging.getLogger(__name__)

MAIL_BACKLOG = timedelta(minutes=10)
"""A mail due longer than this means delivery is falling behind (degraded)."""


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    status: Status
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ServiceReport:
    status: Status
    checked_at: datetime
    uptime_seconds: float
    components: list[Component]


def _worst(statuses: list[Status]) -> Status:
    for status in (Status.UNHEALTHY, Status.DEGRADED):
        if status in statuses:
            return status
    return Status.HEALTHY


async def _database(deps: Deps) -> Component:
    check = await check_database(database=deps.database, limit_seconds=deps.settings.health_timeout)
    return Component(
        "database",
        check.status,
        check.error or f"{check.backend} answered in {check.response_time_ms} ms",
        {
            "backend": check.backend,
            "response_time_ms": check.response_time_ms,
            "pool": {
                "active": check.pool.active,
                "idle": check.pool.idle,
                "size": check.pool.size,
                "overflow": check.pool.overflow,
            },
        },
    )


def _transport_name(worker: MailWorker) -> str:
    transport = worker.transport
    if isinstance(transport, SmtpTransport):
        return "smtp"
    if isinstance(transport, ConsoleTransport):
        return "console"
    if isinstance(transport, UnconfiguredTransport):
        return "unconfigured"
    return type(transport).__name__


async def _mail(deps: Deps, worker: MailWorker, now: datetime) -> Component:
    async with deps.database.read() as session:
        counts = {
            status: count
            for status, count in await session.execute(
                select(col(OutboxMail.status), func.count()).group_by(col(OutboxMail.status))
            )
        }
        oldest_due = await session.scalar(
            select(func.min(col(OutboxMail.next_attempt_at))).where(
                col(OutboxMail.status) == MailStatus.PENDING
            )
        )
    transport = _transport_name(worker)
    behind = (now - oldest_due).total_seconds() if oldest_due and oldest_due < now else 0.0
    if not worker.running:
        status, message = Status.UNHEALTHY, "The delivery worker is not running"
    elif transport == "unconfigured":
        status, message = Status.DEGRADED, "IDENTITY_SMTP_URL is not set: mail cannot be sent"
    elif behind > MAIL_BACKLOG.total_seconds():
        status, message = Status.DEGRADED, f"Mail has waited {int(behind)} s for delivery"
    else:
        status, message = Status.HEALTHY, f"Delivering by {transport}"
    return Component(
        "mail",
        status,
        message,
        {
            "worker_running": worker.running,
            "transport": transport,
            "rounds": worker.rounds,
            "queue": {state.value: int(counts.get(state.value, 0)) for state in MailStatus},
            "oldest_due_seconds": round(behind, 1),
        },
    )


async def _signing_keys(deps: Deps, now: datetime) -> Component:
    async with deps.database.read() as session:
        rows = (
            await session.execute(
                select(
                    col(SigningKey.kid),
                    col(SigningKey.algorithm),
                    col(SigningKey.created_at),
                    col(SigningKey.retired_at),
                )
                .where(or_(col(SigningKey.expires_at).is_(None), col(SigningKey.expires_at) > now))
                .order_by(col(SigningKey.created_at).desc())
            )
        ).all()
    active = next((row for row in rows if row.retired_at is None), None)
    ring = deps.keys
    loaded = ring.active.kid if ring.active else None
    details: dict[str, Any] = {
        "verifying_keys": len(rows),
        "active_kid": active.kid if active else None,
        "algorithm": active.algorithm if active else None,
        "active_since": active.created_at.isoformat() if active else None,
        "loaded_kid": loaded,
        "loaded_at": ring.loaded_at.isoformat() if ring.loaded_at else None,
    }
    if active is None:
        return Component("signing_keys", Status.UNHEALTHY, "No active signing key", details)
    if loaded != active.kid:
        # Another process rotated the key; this one picks it up at its next reload.
        return Component(
            "signing_keys",
            Status.DEGRADED,
            "This process has not loaded the active signing key yet",
            details,
        )
    return Component("signing_keys", Status.HEALTHY, f"Signing with {active.kid}", details)


async def service_status(
    deps: Deps, *, principal: Principal | None, mail: MailWorker, uptime_seconds: float
) -> ServiceReport:
    await authorization.require(deps, principal, Permission.SETTINGS_READ)
    now = deps.clock.now()
    database = await _database(deps)
    components = [database]
    checks: list[tuple[str, Callable[[], Awaitable[Component]]]] = [
        ("mail", lambda: _mail(deps, mail, now)),
        ("signing_keys", lambda: _signing_keys(deps, now)),
    ]
    for name, check in checks:
        try:
            components.append(await check())
        except Exception:
            # Both read the database; its own component says why it did not answer.
            log.warning("service status: %s could not be checked", name, exc_info=True)
            components.append(Component(name, Status.UNHEALTHY, "Could not be checked"))
    return ServiceReport(
        _worst([one.status for one in components]), now, uptime_seconds, components
    )
