"""Runtime settings: the mutation that changes one."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from identity.permissions import Permission as PermissionName
from identity.services import runtime_settings
from schema.context import Context
from schema.declare import mutation, needs
from schema.errors import Conflict, NotFound, ValidationError
from schema.types.settings import RuntimeSetting, SettingPayload

UpdateSettingResult = Annotated[
    SettingPayload | NotFound | ValidationError | Conflict,
    strawberry.union("UpdateSettingResult", description="The changed setting, or why not."),
]


@strawberry.type
class SettingsMutations:
    @mutation(
        "Change a runtime setting; an unknown key is NotFound, a value of the wrong type or "
        "out of bounds a ValidationError. Audited with the old and the new value.",
        access=needs(PermissionName.SETTINGS_WRITE),
    )
    async def update_setting(
        self, info: Info[Context, None], key: str, value: JSON
    ) -> UpdateSettingResult:
        changed = await runtime_settings.update_setting(
            info.context.deps, principal=await info.context.principal(), key=key, value=value
        )
        return SettingPayload(setting=RuntimeSetting.from_value(changed))
