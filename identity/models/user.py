"""Accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


class UserStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    LOCKED = "locked"
    PENDING = "pending"


def _time(*, nullable: bool = True, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=320)
    email_key: str = Field(max_length=320, unique=True, description="email, lower-cased")
    username: str | None = Field(default=None, max_length=150)
    username_key: str | None = Field(default=None, max_length=150, unique=True)
    first_name: str | None = Field(default=None, max_length=150)
    last_name: str | None = Field(default=None, max_length=150)
    display_name: str | None = Field(default=None, max_length=300)
    organization: str | None = Field(default=None, max_length=200)
    subscription_plan: str | None = Field(default=None, max_length=100)
    avatar_url: str | None = Field(default=None, max_length=2048)
    role: str = Field(default="user", max_length=100, index=True)
    status: str = Field(default=UserStatus.ACTIVE, max_length=20, index=True)
    is_active: bool = Field(default=True)
    email_verified: bool = Field(default=False)
    email_verified_at: datetime | None = Field(default=None, sa_column=_time())
    password_hash: str | None = Field(default=None, max_length=500)
    password_changed_at: datetime | None = Field(default=None, sa_column=_time())
    must_change_password: bool = Field(default=False)
    failed_login_attempts: int = Field(default=0)
    locked_at: datetime | None = Field(default=None, sa_column=_time())
    locked_until: datetime | None = Field(default=None, sa_column=_time())
    last_login: datetime | None = Field(default=None, sa_column=_time(index=True))
    last_login_ip: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=_time(nullable=False, index=True))
    updated_at: datetime = Field(sa_column=_time(nullable=False))

    @property
    def name(self) -> str:
        """Seed 002's single ``name``: the display name, else first and last names."""
        if self.display_name:
            return self.display_name
        return " ".join(part for part in (self.first_name, self.last_name) if part)
