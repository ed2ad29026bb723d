"""Answers of the account, token, session and mailed-link routes."""

from __future__ import annotations

from typing import Any, NotRequired

from typing_extensions import TypedDict


class Message(TypedDict):
    """An acknowledgement."""

    message: str


class UserOut(TypedDict):
    """A user: every seed's field names together (``id`` and ``user_id``, the three spellings
    of a verified address, ``last_active`` beside ``last_used_at``...)."""

    id: str
    user_id: str
    email: str
    username: str | None
    first_name: str | None
    last_name: str | None
    name: str
    display_name: str | None
    organization: str | None
    organization_id: str | None
    subscription_plan: str | None
    avatar_url: str | None
    role: str
    permissions: list[str]
    status: str
    is_active: bool
    is_superuser: bool
    email_verified: bool
    is_verified: bool
    is_email_verified: bool
    email_verified_at: str | None
    last_login: str | None
    last_login_ip: str | None
    locked_until: str | None
    password_changed_at: str | None
    must_change_password: bool
    created_at: str
    updated_at: str


class RegisteredOut(UserOut):
    """Seed 002's flat user and seed 003's ``{user}`` together."""

    user: UserOut


class TokensOut(TypedDict):
    """Tokens: the refresh token is null in cookie mode and for a password-change token."""

    access_token: str
    refresh_token: str | None
    token_type: str
    expires_in: int


class LoginOut(TokensOut):
    """Seeds 000/002/004's flat tokens and seed 003's ``{user, tokens}`` together. A login whose
    password must change first says so (``password_change_required``, ``message``); cookie mode
    adds ``csrf_token``."""

    session_id: str
    user: UserOut
    tokens: TokensOut
    password_change_required: NotRequired[bool]
    message: NotRequired[str]
    csrf_token: NotRequired[str | None]


class PasswordChangedOut(LoginOut):
    """The session's new tokens (its refresh token was rotated) and the others ended."""

    sessions_revoked: int


class SessionOut(TypedDict):
    id: str
    user_id: str
    device_id: str | None
    device_info: dict[str, Any] | None
    ip_address: str | None
    user_agent: str | None
    auth_method: str
    is_active: bool
    current: bool
    created_at: str | None
    last_active: str | None
    last_used_at: str | None
    expires_at: str | None


class SessionsOut(TypedDict):
    sessions: list[SessionOut]


class SessionsCountedOut(SessionsOut):
    count: int


class RevokedOut(Message):
    revoked: int


class HistoryEventOut(TypedDict):
    id: str
    event_type: str
    ip_address: str | None
    ip: str | None
    user_agent: str | None
    session_id: str | None
    details: dict[str, Any] | None
    created_at: str | None


class HistoryOut(TypedDict):
    history: list[HistoryEventOut]
    count: int


class DeviceOut(TypedDict):
    id: str
    device_info: dict[str, Any] | None
    user_agent: str | None
    ip_address: str | None
    first_seen_at: str | None
    last_used_at: str | None
    current: bool
    sessions: list[SessionOut]
    trusted: bool
    trusted_until: str | None


class DevicesOut(TypedDict):
    devices: list[DeviceOut]
    count: int


class SessionsEndedOut(Message):
    sessions_revoked: int


class VerifiedOut(Message):
    email_verified: bool
    password_reset_required: bool
    user: UserOut


class PublicSettingsOut(TypedDict):
    """The runtime settings anyone may read, by key, and what MFA offers: ``mfa_enabled``
    (second factors may be enrolled), ``mfa_methods`` (totp, webauthn, email, backup_code) and
    ``mfa_required_for`` (none, admins or all: who must enrol before getting a session)."""

    mfa_enabled: bool
    mfa_methods: list[str]
    mfa_required_for: str
