"""Runtime settings and the services report: query fields."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from identity.permissions import Permission as PermissionName
from identity.services import runtime_settings, service_status
from identity.services.mfa import state
from schema.context import Context
from schema.declare import PUBLIC, needs, query
from schema.types.settings import PublicSettings, RuntimeSetting, ServiceStatus


@strawberry.type
class SettingsQuery:
    @query(
        "Every runtime setting, with its default and bounds.",
        access=needs(PermissionName.SETTINGS_READ),
    )
    async def settings(self, info: Info[Context, None]) -> list[RuntimeSetting]:
        found = await runtime_settings.list_settings(
            info.context.deps, principal=await info.context.principal()
        )
        return [RuntimeSetting.from_value(one) for one in found]

    @query("What sign-up and login pages need to know.", access=PUBLIC)
    async def public_settings(self, info: Info[Context, None]) -> PublicSettings:
        values = await runtime_settings.current(info.context.deps)
        offered = await state.offer(info.context.deps)
        return PublicSettings(
            registration_enabled=values.registration_enabled,
            email_verification_required=values.email_verification_required,
            password_min_length=values.password_min_length,
            access_token_ttl_seconds=values.access_token_ttl_seconds,
            magic_link_enabled=values.magic_link_enabled,
            self_selectable_plans=list(values.self_selectable_plans),
            mfa_enabled=offered.enabled,
            mfa_methods=[one.value for one in offered.methods],
            mfa_required_for=offered.required_for,
        )

    @query(
        "The state of the service's components (database, mail, signing keys), checked now.",
        access=needs(PermissionName.SETTINGS_READ),
    )
    async def service_status(self, info: Info[Context, None]) -> ServiceStatus:
        runtime = info.context.runtime
        report = await service_status.service_status(
            runtime.deps,
            principal=await info.context.principal(),
            mail=runtime.mail,
            uptime_seconds=runtime.uptime_seconds(),
        )
        return ServiceStatus.from_report(report)
