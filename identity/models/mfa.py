"""Second factors: a user's MFA state, backup codes, WebAuthn credentials, trusted devices, and
the short-lived ceremonies between them (a pending login, an enrolment, a WebAuthn challenge)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Uuid
from sqlmodel import Field, SQLModel

from identity.models.types import UTCDateTime


def _user_column(*, primary_key: bool = False, nullable: bool = False) -> Any:
    return Column(
        Uuid(),
        ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=nullable,
        index=not primary_key,
    )


class MfaMethod(StrEnum):
    """A second factor, as clients name it (``methods``, ``preferred``)."""

    TOTP = "totp"
    EMAIL = "email"
    WEBAUTHN = "webauthn"
    BACKUP_CODE = "backup_code"


class UserMfa(SQLModel, table=True):
    """One user's TOTP and email-code state. No row, or no factor enabled: no MFA.

    Secrets are sealed (``identity.security.sealing``) with the key derived from
    ``IDENTITY_SECRET_KEY``; ``totp_pending_secret`` is the one a setup answered and an enable
    has not proved yet. ``totp_last_step`` is the last accepted 30-second step: a code of that
    step or an earlier one is never accepted again.
    """

    __tablename__ = "user_mfa"

    user_id: uuid.UUID = Field(sa_column=_user_column(primary_key=True))
    totp_secret: str | None = Field(default=None, max_length=200)
    totp_pending_secret: str | None = Field(default=None, max_length=200)
    totp_pending_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    totp_enabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    totp_last_step: int | None = Field(default=None)
    email_enabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    preferred: str | None = Field(default=None, max_length=20)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class BackupCode(SQLModel, table=True):
    """One single-use recovery code, stored as a keyed digest bound to its user."""

    __tablename__ = "mfa_backup_codes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=_user_column())
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class WebauthnCredential(SQLModel, table=True):
    """A registered authenticator (security key or passkey); ids and keys base64url."""

    __tablename__ = "webauthn_credentials"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=_user_column())
    credential_id: str = Field(max_length=1400, unique=True)
    public_key: str = Field(max_length=2000)
    sign_count: int = Field(default=0)
    transports: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    name: str = Field(max_length=100)
    aaguid: str | None = Field(default=None, max_length=36)
    discoverable: bool = Field(default=False)
    backed_up: bool = Field(default=False)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class ChallengeKind(StrEnum):
    LOGIN = "login"
    """A first factor succeeded; a second one completes the login."""
    ENROLLMENT = "enrollment"
    """A first factor succeeded for an account that must have MFA and has none."""
    WEBAUTHN_REGISTRATION = "webauthn_registration"
    PASSKEY_LOGIN = "passkey_login"


class MfaChallenge(SQLModel, table=True):
    """A short-lived, single-use ceremony, found by the digest of its token.

    A pending login keeps what its first factor decided (``first_factor``, ``context``: the
    device, the tenant, the answer mode) so that completing it opens the session the login
    would have opened; ``password_fingerprint`` makes it die when the password changes.
    ``failures`` and ``email_sends`` are counted by conditional updates.
    """

    __tablename__ = "mfa_challenges"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=30)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: uuid.UUID | None = Field(default=None, sa_column=_user_column(nullable=True))
    session_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid()))
    first_factor: str | None = Field(default=None, max_length=30)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    password_fingerprint: str | None = Field(default=None, max_length=64)
    webauthn_challenge: str | None = Field(default=None, max_length=200)
    email_code_hash: str | None = Field(default=None, max_length=64)
    email_code_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    email_sends: int = Field(default=0)
    failures: int = Field(default=0)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class TrustedDevice(SQLModel, table=True):
    """A device whose logins skip the second factor until ``expires_at`` or revocation.

    ``device_key`` is the devices list's id (the client's ``device_id``, else the session id);
    the device token itself is stored only as its digest.
    """

    __tablename__ = "trusted_devices"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=_user_column())
    token_hash: str = Field(max_length=64, unique=True)
    device_key: str = Field(max_length=200)
    device_info: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
