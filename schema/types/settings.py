"""Runtime settings and the services report, as GraphQL sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from identity.services.runtime_settings import SettingValue
from identity.services.service_status import Component, ServiceReport


@strawberry.type(description="A runtime setting: its value now, its default and its bounds.")
class RuntimeSetting:
    key: str = strawberry.field(description="The setting's name, e.g. registration_enabled.")
    value: JSON = strawberry.field(
        description="The value in force: a boolean, an integer or a list of names."
    )
    default: JSON = strawberry.field(description="The value from the environment.")
    type: str = strawberry.field(description="bool, int or names.")
    description: str = strawberry.field(description="What it changes.")
    public: bool = strawberry.field(description="Shown to anyone (publicSettings).")
    minimum: int | None = strawberry.field(description="Smallest value accepted (int).")
    maximum: int | None = strawberry.field(description="Largest value accepted (int).")
    is_default: bool = strawberry.field(description="No administrator has set it yet.")
    updated_at: datetime | None = strawberry.field(description="Last change.")
    updated_by: strawberry.ID | None = strawberry.field(description="Who changed it last.")

    @classmethod
    def from_value(cls, setting: SettingValue) -> RuntimeSetting:
        spec = setting.definition
        value: Any = setting.value
        default: Any = setting.default
        return cls(
            key=setting.key,
            value=value,
            default=default,
            type=spec.kind,
            description=spec.description,
            public=spec.public,
            minimum=spec.minimum,
            maximum=spec.maximum,
            is_default=setting.is_default,
            updated_at=setting.updated_at,
            updated_by=strawberry.ID(str(setting.updated_by)) if setting.updated_by else None,
        )


@strawberry.type(description="What a sign-up or login page needs to know.")
class PublicSettings:
    registration_enabled: bool = strawberry.field(description="Whether anyone may register.")
    email_verification_required: bool = strawberry.field(
        description="Whether an address must be verified before signing in."
    )
    password_min_length: int = strawberry.field(description="Shortest password accepted.")
    access_token_ttl_seconds: int = strawberry.field(description="Access token lifetime.")
    magic_link_enabled: bool = strawberry.field(description="Whether sign-in links are offered.")
    self_selectable_plans: list[str] = strawberry.field(
        description="Subscription plans a user may pick at registration (besides the default)."
    )
    mfa_enabled: bool = strawberry.field(
        description="Whether second factors may be enrolled (always: TOTP, WebAuthn, email "
        "codes, backup codes)."
    )
    mfa_methods: list[str] = strawberry.field(
        description="The second factors offered: totp, webauthn, email, backup_code."
    )
    mfa_required_for: str = strawberry.field(
        description="Who must enrol a second factor before getting a session: none, admins or all."
    )


@strawberry.type(description="The changed setting.")
class SettingPayload:
    setting: RuntimeSetting = strawberry.field(description="The setting after the change.")


@strawberry.type(description="One component of the service.")
class ServiceComponent:
    name: str = strawberry.field(description="database, mail or signing_keys.")
    status: str = strawberry.field(description="healthy, degraded or unhealthy.")
    message: str = strawberry.field(description="Why, in words.")
    details: JSON = strawberry.field(description="Figures of the check.")

    @classmethod
    def from_component(cls, component: Component) -> ServiceComponent:
        return cls(
            name=component.name,
            status=component.status.value,
            message=component.message,
            details=cast(Any, component.details),
        )


@strawberry.type(description="The state of the service's components, checked now.")
class ServiceStatus:
    status: str = strawberry.field(description="The worst of the components' statuses.")
    checked_at: datetime = strawberry.field(description="When the checks ran.")
    uptime_seconds: float = strawberry.field(description="Seconds since this process started.")
    components: list[ServiceComponent] = strawberry.field(description="Each component.")

    @classmethod
    def from_report(cls, report: ServiceReport) -> ServiceStatus:
        return cls(
            status=report.status.value,
            checked_at=report.checked_at,
            uptime_seconds=report.uptime_seconds,
            components=[ServiceComponent.from_component(one) for one in report.components],
        )
