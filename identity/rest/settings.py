"""Runtime settings: seed 003's ``/v1/admin/settings*``, ``/v1/admin/services`` and the
public part at ``/v1/auth/settings``.

Seed 003 says "requires admin role"; each route asks the service, which requires the
permission the admin role carries (settings:read, settings:write).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from identity import __version__
from identity.rest.bodies import Body
from identity.rest.deps import DepsDep, PrincipalDep, RuntimeDep
from identity.rest.rbac_shapes import service_report_json, setting_json
from identity.rest.responses.account import PublicSettingsOut
from identity.rest.responses.admin import ServicesOut, SettingOut, SettingsOut
from identity.rest.routing import row
from identity.services import runtime_settings, service_status
from identity.services.mfa import state


class SettingBody(Body):
    value: Any = Field(description="The new value: true/false or a whole number.")


async def public_settings(deps: DepsDep) -> dict[str, Any]:
    offered = await state.offer(deps)
    return {
        **await runtime_settings.public_settings(deps),
        "mfa_enabled": offered.enabled,
        "mfa_methods": [one.value for one in offered.methods],
        "mfa_required_for": offered.required_for,
    }


async def list_settings(deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    found = await runtime_settings.list_settings(deps, principal=principal)
    return {"settings": [setting_json(one) for one in found]}


async def update_setting(
    key: str, body: SettingBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, Any]:
    changed = await runtime_settings.update_setting(
        deps, principal=principal, key=key, value=body.value
    )
    return setting_json(changed)


async def services(runtime: RuntimeDep, principal: PrincipalDep) -> dict[str, Any]:
    report = await service_status.service_status(
        runtime.deps,
        principal=principal,
        mail=runtime.mail,
        uptime_seconds=runtime.uptime_seconds(),
    )
    return service_report_json(report, version=__version__, environment=runtime.settings.env.value)


ROUTES = (
    row(
        "GET",
        "/v1/auth/settings",
        public_settings,
        "Public authentication settings",
        seeds="003",
        response=PublicSettingsOut,
    ),
    row(
        "GET",
        "/v1/admin/settings",
        list_settings,
        "List runtime settings (settings:read)",
        seeds="003",
        response=SettingsOut,
    ),
    row(
        "PATCH",
        "/v1/admin/settings/{key}",
        update_setting,
        "Change a runtime setting (settings:write)",
        seeds="003",
        response=SettingOut,
    ),
    row(
        "GET",
        "/v1/admin/services",
        services,
        "State of the service's components (settings:read)",
        seeds="003",
        response=ServicesOut,
    ),
)
