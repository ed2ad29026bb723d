"""Invitations to join a tenant (seed 003), each with a single-use token stored as its hash."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, Uuid, text
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"
    """A pending invitation past ``expires_at`` is answered as expired; it is stored so only
    when a new invitation to the same address replaces it (the one-pending index)."""


class Invitation(SQLModel, table=True):
    __tablename__ = "invitations"
    __table_args__ = (
        # One pending invitation per address per tenant.
        Index(
            "uq_invitations_pending_address",
            "tenant_id",
            "email_key",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid(), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    email: str = Field(max_length=320)
    email_key: str = Field(max_length=320)
    role_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(Uuid(), ForeignKey("roles.id", ondelete="SET NULL"), nullable=True),
    )
    message: str | None = Field(default=None, max_length=1000)
    token_hash: str = Field(max_length=64, unique=True)
    status: str = Field(default=InvitationStatus.PENDING, max_length=20, index=True)
    invited_by: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(Uuid(), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    resend_count: int = Field(default=0)
    last_sent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    accepted_by: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(Uuid(), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
