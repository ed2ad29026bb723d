"""Queueing mail in the caller's transaction: the outbox row commits or rolls back with it.

Bodies carry live one-time tokens, so they are sealed (AES-GCM under a key derived from the
service secret) before they reach the database; only the delivery worker opens them, just
before sending. The sealer comes with the session (``Database(outbox_sealer=...)``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from identity.db import OUTBOX_SEALER, TextSealer
from identity.mail.templates import render
from identity.models import MailStatus, OutboxMail

_WAKE_PENDING = "identity.mail.queued"
_LISTENING = "identity.mail.listening"
_wakers: set[Callable[[], None]] = set()


def sealer_of(session: AsyncSession) -> TextSealer:
    sealer: TextSealer | None = session.sync_session.info.get(OUTBOX_SEALER)
    if sealer is None:
        raise RuntimeError("this session's Database was made without an outbox sealer")
    return sealer


def enqueue(
    session: AsyncSession,
    *,
    now: datetime,
    to: str,
    template: str,
    context: Mapping[str, str],
    user_id: uuid.UUID | None = None,
) -> None:
    """Queue a mail in the session's transaction, rendered now.

    Nothing is sent unless the transaction commits. When it does, the delivery workers of this
    process are woken at once; workers of other processes find the mail at their next poll.
    Raises ValueError for an unknown template, a missing context value or a bad address.
    """
    if not to or "\r" in to or "\n" in to or "@" not in to:
        raise ValueError("a mail needs one recipient address")
    rendered = render(template, context)
    sealer = sealer_of(session)
    session.add(
        OutboxMail(
            to_address=to,
            subject=rendered.subject,
            text_body=sealer.seal(rendered.text),
            html_body=sealer.seal(rendered.html),
            template=template,
            user_id=user_id,
            status=MailStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    info = session.sync_session.info
    info[_WAKE_PENDING] = True
    if not info.get(_LISTENING):
        info[_LISTENING] = True
        event.listen(session.sync_session, "after_commit", _wake_workers)
        event.listen(session.sync_session, "after_rollback", _forget_wake)


def _wake_workers(session: Session) -> None:
    if session.info.pop(_WAKE_PENDING, False):
        for wake in list(_wakers):
            wake()


def _forget_wake(session: Session) -> None:
    session.info.pop(_WAKE_PENDING, None)


def on_commit(wake: Callable[[], None]) -> Callable[[], None]:
    """Call ``wake`` after each commit that queued mail; returns the function that stops it.

    ``wake`` runs on the committing thread, so it must be safe to call from any thread.
    """
    _wakers.add(wake)
    return lambda: _wakers.discard(wake)
