"""Failed password-check counters per key: an account, an unknown identifier, a password change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


class LoginThrottle(SQLModel, table=True):
    __tablename__ = "login_throttles"

    identifier_hash: str = Field(primary_key=True, max_length=64)
    failures: int = Field(default=0)
    last_failure_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
