"""What seed 003's tenants and seed 004's organizations share: the bodies and the tenant's
JSON (one shape for both: ``settings`` and its flat twin, the member count as
``member_count`` and ``user_count``)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from identity.rest.bodies import Body
from identity.rest.shapes import when
from identity.services._kit import UNSET
from identity.services.tenants.common import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    MAX_USERS_LIMIT,
    TenantDetails,
)
from identity.services.tenants.records import NewTenant, TenantChanges

NOT_BLANK: dict[str, Any] = {"not": {"pattern": r"^\s*$"}}
"""A name holds more than spaces (the services trim it, and refuse it empty)."""
SLUG_PATTERN = r"^[a-z0-9-]{3,63}$"


class TenantSettingsBody(Body):
    allow_self_registration: bool | None = None


class CreateTenantBody(Body):
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH, json_schema_extra=NOT_BLANK)
    slug: str = Field(pattern=SLUG_PATTERN, description="3 to 63 lower-case letters, digits, '-'.")
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_LENGTH)
    max_users: int | None = Field(None, ge=1, le=MAX_USERS_LIMIT)
    is_active: bool = True
    settings: TenantSettingsBody | None = None
    allow_self_registration: bool | None = None
    owner_id: uuid.UUID | None = Field(
        None, description="A user who joins holding the new tenant's admin role."
    )

    def new(self) -> NewTenant:
        allow = self.allow_self_registration
        if self.settings is not None and self.settings.allow_self_registration is not None:
            allow = self.settings.allow_self_registration
        return NewTenant(
            name=self.name,
            slug=self.slug,
            description=self.description,
            max_users=self.max_users,
            is_active=self.is_active,
            allow_self_registration=bool(allow),
            owner_id=self.owner_id,
        )


class UpdateTenantBody(Body):
    """The fields sent change (``null`` clears ``description`` or ``max_users``, and leaves
    the others as they are); the fields not sent stay."""

    name: str | None = Field(
        None, min_length=1, max_length=MAX_NAME_LENGTH, json_schema_extra=NOT_BLANK
    )
    slug: str | None = Field(None, pattern=SLUG_PATTERN)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_LENGTH)
    max_users: int | None = Field(None, ge=1, le=MAX_USERS_LIMIT)
    is_active: bool | None = None
    settings: TenantSettingsBody | None = None
    allow_self_registration: bool | None = None

    def changes(self) -> TenantChanges:
        sent: dict[str, Any] = {name: getattr(self, name) for name in self.model_fields_set}
        settings = sent.pop("settings", None)
        if settings is not None and "allow_self_registration" in settings.model_fields_set:
            sent["allow_self_registration"] = settings.allow_self_registration
        for required in ("name", "slug", "is_active", "allow_self_registration"):
            if required in sent and sent[required] is None:
                del sent[required]  # null for a field that cannot be empty: left as it is
        return TenantChanges(
            name=sent.get("name", UNSET),
            slug=sent.get("slug", UNSET),
            description=sent.get("description", UNSET),
            max_users=sent.get("max_users", UNSET),
            is_active=sent.get("is_active", UNSET),
            allow_self_registration=sent.get("allow_self_registration", UNSET),
        )


def tenant_json(details: TenantDetails) -> dict[str, Any]:
    tenant = details.tenant
    return {
        "id": str(tenant.id),
        "name": tenant.name,
        "slug": tenant.slug,
        "description": tenant.description,
        "max_users": tenant.max_users,
        "is_active": tenant.is_active,
        "settings": {"allow_self_registration": tenant.allow_self_registration},
        "allow_self_registration": tenant.allow_self_registration,
        "member_count": details.member_count,
        "user_count": details.member_count,
        "created_at": when(tenant.created_at),
        "updated_at": when(tenant.updated_at),
    }
