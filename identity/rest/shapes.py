"""JSON shapes shared by the compatibility routes: one superset per object, every seed's fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from identity.clock import isoformat_z
from identity.models import AuditEvent, AuthSession, User
from identity.services.accounts import SUPERADMIN_ROLE
from identity.services.sessions import Device
from identity.services.tokens import PasswordChangeToken, TokenPair

TOKEN_TYPE = "bearer"  # noqa: S105 (RFC 6750 scheme name)


def when(moment: datetime | None) -> str | None:
    return isoformat_z(moment) if moment else None


def user_json(user: User, *, permissions: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "user_id": str(user.id),
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "name": user.name,
        "display_name": user.display_name,
        "organization": user.organization,
        # Seed 004's organization: the user's primary tenant.
        "organization_id": str(user.primary_tenant_id) if user.primary_tenant_id else None,
        "subscription_plan": user.subscription_plan,
        "avatar_url": user.avatar_url,
        "role": user.role,
        "permissions": permissions or [],
        "status": user.status,
        "is_active": user.is_active,
        "is_superuser": user.role == SUPERADMIN_ROLE,
        "email_verified": user.email_verified,
        "is_verified": user.email_verified,
        "is_email_verified": user.email_verified,
        "email_verified_at": when(user.email_verified_at),
        "last_login": when(user.last_login),
        "last_login_ip": user.last_login_ip,
        "locked_until": when(user.locked_until),
        "password_changed_at": when(user.password_changed_at),
        "must_change_password": user.must_change_password,
        "created_at": when(user.created_at),
        "updated_at": when(user.updated_at),
    }


def tokens_json(pair: TokenPair, *, include_refresh: bool = True) -> dict[str, Any]:
    return {
        "access_token": pair.access.token,
        "refresh_token": pair.refresh_token if include_refresh else None,
        "token_type": TOKEN_TYPE,
        "expires_in": pair.access.expires_in,
    }


def login_json(pair: TokenPair, *, include_refresh: bool = True) -> dict[str, Any]:
    """Seed 000/002/004's flat token fields and seed 003's ``{user, tokens}`` together."""
    tokens = tokens_json(pair, include_refresh=include_refresh)
    return {
        **tokens,
        "session_id": str(pair.session.id),
        "user": user_json(pair.user),
        "tokens": tokens,
    }


def password_change_json(token: PasswordChangeToken) -> dict[str, Any]:
    """A login whose password must change first: a token good for that alone, no refresh."""
    tokens = {
        "access_token": token.access.token,
        "refresh_token": None,
        "token_type": TOKEN_TYPE,
        "expires_in": token.access.expires_in,
    }
    return {
        **tokens,
        "password_change_required": True,
        "message": "Change your password to continue: this token may only change it",
        "session_id": str(token.session.id),
        "user": user_json(token.user),
        "tokens": tokens,
    }


def session_json(auth_session: AuthSession, *, current_id: object = None) -> dict[str, Any]:
    return {
        "id": str(auth_session.id),
        "user_id": str(auth_session.user_id),
        "device_id": auth_session.device_id,
        "device_info": auth_session.device_info,
        "ip_address": auth_session.ip_address,
        "user_agent": auth_session.user_agent,
        "auth_method": auth_session.auth_method,
        "is_active": auth_session.revoked_at is None,
        "current": auth_session.id == current_id,
        "created_at": when(auth_session.created_at),
        "last_active": when(auth_session.last_used_at),
        "last_used_at": when(auth_session.last_used_at),
        "expires_at": when(auth_session.expires_at),
    }


def device_json(device: Device, *, current_id: object = None) -> dict[str, Any]:
    return {
        "id": device.id,
        "device_info": device.device_info,
        "user_agent": device.user_agent,
        "ip_address": device.ip_address,
        "first_seen_at": when(device.first_seen_at),
        "last_used_at": when(device.last_used_at),
        "current": any(one.id == current_id for one in device.sessions),
        "sessions": [session_json(one, current_id=current_id) for one in device.sessions],
        "trusted": device.trusted,
        "trusted_until": when(device.trusted_until),
    }


def history_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "event_type": event.event_type,
        "ip_address": event.ip_address,
        "ip": event.ip_address,
        "user_agent": event.user_agent,
        "session_id": str(event.session_id) if event.session_id else None,
        "details": event.details,
        "created_at": when(event.created_at),
    }
