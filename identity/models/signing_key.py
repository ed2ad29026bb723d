"""JWT signing keys: the private half encrypted at rest, the public half published."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


class SigningKey(SQLModel, table=True):
    __tablename__ = "signing_keys"

    kid: str = Field(primary_key=True, max_length=100)
    algorithm: str = Field(max_length=20)
    private_key_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    public_jwk: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    retired_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime()), description="stopped signing"
    )
    expires_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime()), description="stops verifying"
    )
