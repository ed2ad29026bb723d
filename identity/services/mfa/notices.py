"""The mails that tell a user their second factors changed (queued in the caller's
transaction: sent only if the change commits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

import identity.mail.mfa_templates  # noqa: F401 (registers the templates)
from identity.mail.outbox import enqueue
from identity.models import User
from identity.services import one_time

LOW_BACKUP_CODES = 2
"""At this many remaining backup codes or fewer, a use of one is mailed."""


def _mail(
    session: AsyncSession,
    *,
    user: User,
    now: datetime,
    template: str,
    context: dict[str, str] | None = None,
) -> None:
    named = one_time.proven_recipient(user, user.email)
    name = (user.display_name or user.first_name or "") if named else ""
    enqueue(
        session,
        now=now,
        to=user.email,
        template=template,
        context={"name": name, **(context or {})},
        user_id=user.id,
    )


def factor_added(session: AsyncSession, *, user: User, now: datetime, factor: str) -> None:
    _mail(session, user=user, now=now, template="mfa_factor_added", context={"factor": factor})


def disabled(session: AsyncSession, *, user: User, now: datetime) -> None:
    _mail(session, user=user, now=now, template="mfa_disabled")


def reset(session: AsyncSession, *, user: User, now: datetime) -> None:
    _mail(session, user=user, now=now, template="mfa_reset")


def backup_codes_low(session: AsyncSession, *, user: User, now: datetime, remaining: int) -> None:
    _mail(
        session,
        user=user,
        now=now,
        template="mfa_backup_codes_low",
        context={"remaining": str(remaining)},
    )
