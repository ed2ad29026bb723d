"""Roles, permissions, and who holds them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


def _fk(target: str) -> Column[uuid.UUID]:
    return Column(Uuid(), ForeignKey(target, ondelete="CASCADE"), primary_key=True)


class PermissionRow(SQLModel, table=True):
    """A ``resource:action`` permission; built-in ones (``is_system``) cannot be changed."""

    __tablename__ = "permissions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    resource: str = Field(max_length=50, index=True)
    action: str = Field(max_length=50)
    description: str | None = Field(default=None, max_length=500)
    is_system: bool = Field(default=False)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Role(SQLModel, table=True):
    """A named set of permissions; ``tenant_id`` scopes it to one tenant (tenants issue)."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("name", "tenant_id", name="uq_roles_name_tenant"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100, index=True)
    description: str | None = Field(default=None, max_length=500)
    is_active: bool = Field(default=True)
    is_system: bool = Field(default=False)
    tenant_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            Uuid(),
            ForeignKey("tenants.id", ondelete="CASCADE", name="fk_roles_tenant_id_tenants"),
            nullable=True,
            index=True,
        ),
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RolePermission(SQLModel, table=True):
    __tablename__ = "role_permissions"

    role_id: uuid.UUID = Field(sa_column=_fk("roles.id"))
    permission_id: uuid.UUID = Field(sa_column=_fk("permissions.id"))


class UserRole(SQLModel, table=True):
    """Roles a user holds besides the primary one (``users.role_id``)."""

    __tablename__ = "user_roles"

    user_id: uuid.UUID = Field(sa_column=_fk("users.id"))
    role_id: uuid.UUID = Field(sa_column=_fk("roles.id"))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class UserPermission(SQLModel, table=True):
    """A permission granted to one user directly (seed 000's admin permissions)."""

    __tablename__ = "user_permissions"

    user_id: uuid.UUID = Field(sa_column=_fk("users.id"))
    permission_id: uuid.UUID = Field(sa_column=_fk("permissions.id"))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
