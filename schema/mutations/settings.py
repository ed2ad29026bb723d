"""Runtime settings: the mutation that changes one."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from identity.errors import IdentityError
from identity.permissions import Permission as PermissionName
from identity.services import runtime_settings
from schema.context import Context
from schema.errors import Conflict, NotFound, ValidationError, error_from
from schema.permissions import HasPermission, requires
from schema.types.settings import RuntimeSetting, SettingPayload

UpdateSettingResult = Annotated[
    SettingPayload | NotFound | ValidationError | Conflict,
    strawberry.union("UpdateSettingResult", description="The changed setting, or why not."),
]


@strawberry.type
class SettingsMutations:
    @strawberry.mutation(
        description="Change a runtime setting; an unknown key is NotFound, a value of the wrong "
        "type or out of bounds a ValidationError. Audited with the old and the new value. "
        f"{requires(PermissionName.SETTINGS_WRITE)}",
        permission_classes=[HasPermission(PermissionName.SETTINGS_WRITE)],
    )
    async def update_setting(
        self, info: Info[Context, None], key: str, value: JSON
    ) -> UpdateSettingResult:
        try:
            changed = await runtime_settings.update_setting(
                info.context.deps, principal=await info.context.principal(), key=key, value=value
            )
        except IdentityError as exc:
            return error_from(exc, NotFound, ValidationError, Conflict)  # type: ignore[return-value]
        return SettingPayload(setting=RuntimeSetting.from_value(changed))
