"""The mail outbox: mail is queued in the transaction of the change that causes it.

A business transaction that rolls back leaves no row, so nothing is sent; one that commits
leaves a row the delivery worker sends later, retrying with backoff. ``mail_attempts`` keeps one
row per delivery attempt, for operators asking why a mail did not arrive.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, Text, Uuid
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime

ERROR_MAX_LENGTH = 1000


class MailStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class OutboxMail(SQLModel, table=True):
    """One rendered message: what was queued is what is sent, whatever the templates become."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_status_next_attempt", "status", "next_attempt_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=500)
    text_body: str = Field(sa_column=Column(Text, nullable=False))
    html_body: str = Field(sa_column=Column(Text, nullable=False))
    template: str = Field(max_length=50)
    user_id: uuid.UUID | None = Field(default=None, index=True)
    status: str = Field(default=MailStatus.PENDING, max_length=20)
    attempts: int = Field(default=0, description="delivery attempts started")
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_error: str | None = Field(default=None, max_length=ERROR_MAX_LENGTH)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    claimed_until: datetime | None = Field(
        default=None,
        sa_column=Column(UTCDateTime()),
        description="lease of the worker sending it; past it, another worker takes over",
    )


class MailAttempt(SQLModel, table=True):
    """One delivery attempt of one queued mail, successful or not."""

    __tablename__ = "mail_attempts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    outbox_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid(), ForeignKey("mail_outbox.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    attempt: int
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ok: bool
    error: str | None = Field(default=None, max_length=ERROR_MAX_LENGTH)


def clip_error(error: str) -> str:
    """An error message short enough for ``last_error`` and ``mail_attempts.error``."""
    return error if len(error) <= ERROR_MAX_LENGTH else error[: ERROR_MAX_LENGTH - 1] + "…"
