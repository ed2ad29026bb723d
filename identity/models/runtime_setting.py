"""Runtime settings: values administrators change while the service runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


class RuntimeSetting(SQLModel, table=True):
    """One changed setting; a key without a row has its default from the environment.

    ``value`` holds the typed JSON value (true, 12, ...); the service validates it against
    the setting's definition before it is written.
    """

    __tablename__ = "runtime_settings"

    key: str = Field(primary_key=True, max_length=100)
    value: Any = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_by: uuid.UUID | None = Field(default=None)
