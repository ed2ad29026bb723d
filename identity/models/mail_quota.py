"""How many mails of one kind went to one address in the current fixed window."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


class MailQuota(SQLModel, table=True):
    """One counter per key (a digest of purpose and address, or of a requester).

    The window starts with the first mail after the previous window ended and does not move
    with later requests; ``last_sent_at`` spaces out the re-sends allowed once it is full.
    """

    __tablename__ = "mail_quotas"

    key_hash: str = Field(primary_key=True, max_length=64)
    window_started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    count: int = Field(default=0)
    last_sent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
