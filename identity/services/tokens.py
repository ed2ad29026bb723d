"""Opening sessions and minting the token pair a login or refresh returns."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identity.errors import ValidationFailed
from identity.models import AuthSession, RefreshToken, User
from identity.principal import RequestMeta
from identity.security.csrf import new_csrf_token
from identity.security.secrets import hash_token, new_token
from identity.security.tokens import IssuedToken, issue_access_token
from identity.services import authorization, runtime_settings
from identity.services.deps import Deps

REFRESH_TOKEN_PREFIX = "rt_"  # noqa: S105 (a marker, not a secret)
MAX_DEVICE_ID_LENGTH = 200  # sessions.device_id
MAX_DEVICE_INFO_BYTES = 2048


@dataclass(frozen=True, slots=True)
class TokenPair:
    user: User
    session: AuthSession
    access: IssuedToken
    refresh_token: str
    csrf_token: str


def new_refresh_token(
    session: AsyncSession, deps: Deps, *, auth_session_id: uuid.UUID, parent_id: uuid.UUID | None
) -> str:
    """Add a refresh token row (hash only) and return the raw token, shown once."""
    raw = REFRESH_TOKEN_PREFIX + new_token()
    session.add(
        RefreshToken(
            session_id=auth_session_id,
            parent_id=parent_id,
            token_hash=hash_token(raw),
            created_at=deps.clock.now(),
        )
    )
    return raw


def device_id_of(device_info: dict[str, Any] | None) -> str | None:
    """The client-sent ``device_info.device_id``, refused when longer than a session keeps."""
    raw = (device_info or {}).get("device_id")
    if not raw:
        return None
    device_id = str(raw)
    if len(device_id) > MAX_DEVICE_ID_LENGTH:
        raise ValidationFailed(
            f"device_id may hold at most {MAX_DEVICE_ID_LENGTH} characters",
            field="device_info.device_id",
        )
    return device_id


def check_device_info(device_info: dict[str, Any] | None) -> None:
    """Refuse device descriptions a session would not keep whole."""
    device_id_of(device_info)
    if device_info and len(json.dumps(device_info, default=str)) > MAX_DEVICE_INFO_BYTES:
        raise ValidationFailed(
            f"device_info may hold at most {MAX_DEVICE_INFO_BYTES} bytes of JSON",
            field="device_info",
        )


def open_session(
    session: AsyncSession,
    deps: Deps,
    *,
    user: User,
    meta: RequestMeta,
    device_info: dict[str, Any] | None,
    auth_method: str,
) -> AuthSession:
    now = deps.clock.now()
    check_device_info(device_info)
    device = dict(device_info or {})
    auth_session = AuthSession(
        user_id=user.id,
        device_id=device_id_of(device),
        device_info=device,
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
        auth_method=auth_method,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=deps.settings.session_ttl_days),
    )
    session.add(auth_session)
    return auth_session


async def access_token(deps: Deps, *, user: User, auth_session: AuthSession) -> IssuedToken:
    """The ``permissions`` claim is informative for clients; checks read the database."""
    key = await deps.keys.signing_key()
    permissions = sorted(await authorization.permissions_of(deps, user.id))
    return issue_access_token(
        private_jwk=key.private_jwk,
        kid=key.kid,
        issuer=deps.settings.issuer,
        audience=deps.settings.jwt_audience,
        subject=str(user.id),
        session_id=str(auth_session.id),
        now=deps.clock.now(),
        lifetime=timedelta(seconds=(await runtime_settings.current(deps)).access_token_ttl_seconds),
        claims={"email": user.email, "role": user.role, "permissions": permissions},
    )


async def pair(
    deps: Deps, *, user: User, auth_session: AuthSession, refresh_token: str
) -> TokenPair:
    return TokenPair(
        user=user,
        session=auth_session,
        access=await access_token(deps, user=user, auth_session=auth_session),
        refresh_token=refresh_token,
        csrf_token=new_csrf_token(),
    )
