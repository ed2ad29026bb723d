"""Trusted devices: trust this device, revoke a device's trust."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from identity.services.mfa import trusted
from schema.context import Context
from schema.declare import SIGNED_IN, mutation
from schema.errors import Conflict, NotFound, PermissionDenied, ValidationError
from schema.types.devices import DeviceTrusted, DeviceTrustRevoked

TrustDeviceResult = Annotated[
    DeviceTrusted | ValidationError | Conflict | NotFound | PermissionDenied,
    strawberry.union("TrustDeviceResult", description="The device's token, or why not."),
]
RevokeDeviceTrustResult = Annotated[
    DeviceTrustRevoked | NotFound,
    strawberry.union("RevokeDeviceTrustResult", description="Trusts revoked, or why not."),
]


@strawberry.type
class TrustedDevicesMutations:
    @mutation(
        "Trust the device this request comes from for `days` (default 30, at most 90: "
        "settings): its logins skip the second factor. Needs MFA on (MFA_NOT_ENABLED) and a "
        "session that signed in with a second factor (MFA_SECOND_FACTOR_REQUIRED) and recently "
        "(REAUTHENTICATION_REQUIRED: reauthenticate; a login just completed is recent); "
        "`deviceId`, "
        "when given, must be this device (another of yours: DEVICE_NOT_CURRENT, since its token "
        "could not reach it). `deviceToken`: this device's earlier token, which the new one "
        "replaces.",
        access=SIGNED_IN,
    )
    async def trust_device(
        self,
        info: Info[Context, None],
        days: int | None = None,
        device_id: str | None = None,
        device_token: str | None = None,
    ) -> TrustDeviceResult:
        issued = await trusted.trust_device(
            info.context.deps,
            principal=await info.context.require_principal(),
            days=days,
            device_id=device_id,
            token=device_token,
        )
        return DeviceTrusted.from_issued(issued)

    @mutation(
        "Revoke a device's trust: of the device `deviceId` names (one of yours), else of the "
        "device this request comes from and of the trust `deviceToken` names.",
        access=SIGNED_IN,
    )
    async def revoke_device_trust(
        self,
        info: Info[Context, None],
        device_id: str | None = None,
        device_token: str | None = None,
    ) -> RevokeDeviceTrustResult:
        revoked = await trusted.revoke_trust(
            info.context.deps,
            principal=await info.context.require_principal(),
            device_id=device_id,
            token=device_token,
        )
        return DeviceTrustRevoked(revoked=revoked)
