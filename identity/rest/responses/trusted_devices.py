"""Answers of the trusted-device routes."""

from __future__ import annotations

from identity.rest.responses.account import Message


class DeviceTrustedOut(Message):
    """A new trust: ``device_token`` is shown this once (and set as an HttpOnly cookie in cookie
    mode); a login presenting it skips the second factor until ``trusted_until``."""

    device_token: str
    device_id: str
    trusted_until: str
    days: int


class TrustRevokedOut(Message):
    revoked: int
