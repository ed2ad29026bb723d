"""Accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Column, ForeignKey, Uuid, select
from sqlalchemy.orm import column_property
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, SQLModel, col

from identity.models.rbac import Role
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
    role_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid(),
            ForeignKey("roles.id", ondelete="RESTRICT", name="fk_users_role_id_roles"),
            nullable=False,
            index=True,
        ),
    )
    primary_tenant_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            Uuid(),
            ForeignKey(
                "tenants.id", ondelete="SET NULL", name="fk_users_primary_tenant_id_tenants"
            ),
            nullable=True,
            index=True,
        ),
    )
    """Seed 004's ``organization_id``: one of the user's tenants (the first joined)."""
    role: ClassVar[str]
    """The primary role (``role_id``, a role that is somebody's primary role is not deleted)
    by name, read with the row (``PRIMARY_ROLE_NAME``); set both with ``set_primary_role``."""
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


PRIMARY_ROLE_NAME = (
    select(col(Role.name)).where(col(Role.id) == User.role_id).correlate_except(Role)
).scalar_subquery()
# The primary role's name comes with every User row (one subquery, no join: ``FOR UPDATE``
# still locks the account alone). It is not expired on flush: ``set_primary_role`` keeps it
# in step with ``role_id`` in memory.
User.__mapper__.add_property(  # type: ignore[attr-defined]
    "role", column_property(PRIMARY_ROLE_NAME, expire_on_flush=False)
)


def set_primary_role(user: User, role: Role) -> None:
    """Make ``role`` the user's primary role; ``user.role`` names it at once."""
    user.role_id = role.id
    set_committed_value(user, "role", role.name)
