"""Answers of the MFA factor routes: status, TOTP enrolment, backup codes, re-authentication."""

from __future__ import annotations

from typing_extensions import TypedDict

from identity.rest.responses.account import Message


class MfaStatusOut(TypedDict):
    """The caller's second factors: ``methods`` lists the preferred one first (``totp``,
    ``webauthn``, ``email``, ``backup_code``); ``trusted_device`` says whether the device token
    the request carried (cookie or ``X-Device-Token``) is a live trust of theirs."""

    enabled: bool
    methods: list[str]
    preferred: str | None
    backup_codes_remaining: int
    trusted_device: bool


class TotpSetupOut(TypedDict):
    """A secret waiting to be proved by ``POST /v1/auth/mfa/enable`` (15 minutes)."""

    secret: str
    url: str
    qr_code: str


class BackupCodesOut(Message):
    """Ten backup codes, shown this once: each works once, typed with or without the hyphen."""

    backup_codes: list[str]
    count: int


class BackupCodeCountOut(TypedDict):
    count: int


class ReauthenticatedOut(Message):
    """When the session last proved its user, and until when it counts as recent."""

    authenticated_at: str
    recent_until: str
