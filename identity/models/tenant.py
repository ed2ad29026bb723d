"""Tenants (seed 004's organizations) and who belongs to them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Uuid
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


class Tenant(SQLModel, table=True):
    """A customer organization: its members, roles, locations and invitations are its own."""

    __tablename__ = "tenants"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=63, unique=True)
    description: str | None = Field(default=None, max_length=1000)
    max_users: int | None = Field(default=None)
    is_active: bool = Field(default=True)
    allow_self_registration: bool = Field(default=False)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class TenantMember(SQLModel, table=True):
    """A user's membership of a tenant; ``users.primary_tenant_id`` is one of them."""

    __tablename__ = "tenant_members"

    tenant_id: uuid.UUID = Field(
        sa_column=Column(Uuid(), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    joined_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
