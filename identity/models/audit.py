"""The audit log: one row per security event, written in the transaction of the change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject_created", "subject_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    event_type: str = Field(max_length=100, index=True)
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    subject_id: uuid.UUID | None = Field(default=None)
    resource: str | None = Field(default=None, max_length=100)
    resource_id: str | None = Field(default=None, max_length=100)
    session_id: uuid.UUID | None = Field(default=None)
    tenant_id: uuid.UUID | None = Field(default=None, index=True)
    """The tenant the change happened in (kept when the tenant is deleted)."""
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=1000)
    request_id: str | None = Field(default=None, max_length=128)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
