"""Single-use tokens sent by mail: email verification, password reset, magic link, email change."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, Uuid, text
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose name)
    MAGIC_LINK = "magic_link"
    EMAIL_CHANGE = "email_change"


UNBOUND = "user_id IS NULL"
SIGN_UP_EMAIL_INDEX = Index(
    "ix_one_time_tokens_sign_up_email",
    text("lower(email)"),
    postgresql_where=text(UNBOUND),
    sqlite_where=text(UNBOUND),
)
"""Sign-up links (bound to no user yet) by address in any letter case: a new link to an
address revokes the older ones, and the mail throttle counts them, without a table scan."""


class OneTimeToken(SQLModel, table=True):
    """A token bound to one purpose and one user (or, for a sign-up link, one address).

    Only its SHA-256 digest is stored. ``email`` is the address the token was sent to:
    the new address of an email change, or the address a magic link may register.
    An email-change token also names the session that asked for it and a fingerprint of
    the password at that time: it is refused once either has changed.
    """

    __tablename__ = "one_time_tokens"
    __table_args__ = (SIGN_UP_EMAIL_INDEX,)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    purpose: str = Field(max_length=30)
    user_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(Uuid(), ForeignKey("users.id", ondelete="CASCADE"), index=True),
    )
    email: str = Field(max_length=320)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    session_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid()))
    password_fingerprint: str | None = Field(default=None, max_length=64)
