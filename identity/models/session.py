"""Login sessions and the rotating refresh tokens that keep them alive."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Uuid
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


class AuthSession(SQLModel, table=True):
    """One login on one device; revoking it stops its access and refresh tokens at once."""

    __tablename__ = "sessions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(
        sa_column=Column(Uuid(), ForeignKey("users.id", ondelete="CASCADE"), index=True)
    )
    device_id: str | None = Field(default=None, max_length=200)
    device_info: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=1000)
    auth_method: str = Field(default="password", max_length=50)
    amr: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    """How the user proved who they are (RFC 8176 values: ``pwd``, ``otp``, ``hwk``, ``swk``,
    ``mfa``...), the access token's ``amr`` claim."""
    authenticated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    """The last proof of identity in this session (the login, then each re-authentication):
    what "recent authentication" is measured from."""
    tenant_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            Uuid(), ForeignKey("tenants.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    """The tenant the session acts in (the token's ``tid``); None: no tenant."""
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoke_reason: str | None = Field(default=None, max_length=100)


class RefreshToken(SQLModel, table=True):
    """An opaque refresh token, stored only as its hash; each use issues a child."""

    __tablename__ = "refresh_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(
        sa_column=Column(Uuid(), ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    )
    parent_id: uuid.UUID | None = Field(default=None, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
