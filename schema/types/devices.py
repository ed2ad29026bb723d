"""Devices (the sessions sharing a device id, or a trusted device) and their trust."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from identity.services.mfa.trusted import TrustIssued
from identity.services.sessions import Device as DeviceModel
from schema.types.user import Session


@strawberry.type(description="A device: the sessions that share a client device id, or one.")
class Device:
    id: str = strawberry.field(
        description="The client's device_id, else the session id of its one session."
    )
    device: JSON = strawberry.field(description="Device info the client sent at login.")
    user_agent: str | None = strawberry.field(description="User agent of its first session.")
    ip_address: str | None = strawberry.field(description="IP address of its first session.")
    first_seen_at: datetime = strawberry.field(description="Its earliest session's start.")
    last_used_at: datetime = strawberry.field(description="Its last refresh.")
    current: bool = strawberry.field(description="Whether this request comes from it.")
    trusted: bool = strawberry.field(
        description="Whether its logins skip the second factor (trustDevice)."
    )
    trusted_until: datetime | None = strawberry.field(description="When its trust expires.")
    sessions: list[Session] = strawberry.field(
        description="Its open sessions; none for a trusted device signed out everywhere."
    )

    @classmethod
    def from_model(cls, found: DeviceModel, *, current_id: uuid.UUID | None) -> Device:
        info: Any = found.device_info
        return cls(
            id=found.id,
            device=info,
            user_agent=found.user_agent,
            ip_address=found.ip_address,
            first_seen_at=found.first_seen_at,
            last_used_at=found.last_used_at,
            current=any(one.id == current_id for one in found.sessions),
            trusted=found.trusted,
            trusted_until=found.trusted_until,
            sessions=[Session.from_model(one, current_id=current_id) for one in found.sessions],
        )


@strawberry.type(description="This device is trusted: keep deviceToken, it is shown once.")
class DeviceTrusted:
    device_token: str = strawberry.field(
        description="Send it as the login's deviceToken to skip the second factor."
    )
    device_id: str = strawberry.field(description="The trusted device's id (devices list).")
    trusted_until: datetime = strawberry.field(description="When the trust expires.")
    days: int = strawberry.field(description="How many days it lasts.")

    @classmethod
    def from_issued(cls, issued: TrustIssued) -> DeviceTrusted:
        device = issued.device
        return cls(
            device_token=issued.token,
            device_id=device.device_key,
            trusted_until=device.expires_at,
            days=(device.expires_at - device.created_at).days,
        )


@strawberry.type(description="Device trusts revoked.")
class DeviceTrustRevoked:
    revoked: int = strawberry.field(description="How many live trusts were revoked (0 or 1).")
