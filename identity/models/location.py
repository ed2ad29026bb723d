"""A tenant's sites (seed 004's locations) and the users assigned to them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


class Location(SQLModel, table=True):
    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_locations_tenant_code"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid(), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=200)
    code: str = Field(max_length=50)
    description: str | None = Field(default=None, max_length=1000)
    address: str | None = Field(default=None, max_length=500)
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class UserLocation(SQLModel, table=True):
    """A user assigned to a location; at most one of a user's locations is primary."""

    __tablename__ = "user_locations"

    user_id: uuid.UUID = Field(
        sa_column=Column(Uuid(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    location_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid(), ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    is_primary: bool = Field(default=False)
    assigned_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
