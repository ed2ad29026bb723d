"""JWT signing keys: the private half encrypted at rest, the public half published."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


class SigningKey(SQLModel, table=True):
    __tablename__ = "signing_keys"
    __table_args__ = (
        # One key signs: replicas starting together cannot each create their own.
        Index(
            "uq_signing_keys_one_active",
            text("(retired_at IS NULL)"),
            unique=True,
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

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
