"""Opening sessions and minting the token pair a login or refresh returns."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.errors import ValidationFailed
from identity.models import AuthSession, RefreshToken, User
from identity.principal import RequestMeta
from identity.security.csrf import new_csrf_token
from identity.security.secrets import hash_token, new_token
from identity.security.tokens import IssuedToken, issue_access_token, refresh_successor
from identity.services import authorization, runtime_settings
from identity.services.deps import Deps

REFRESH_TOKEN_PREFIX = "rt_"  # noqa: S105 (a marker, not a secret)
# The ``scope`` claim (RFC 9068) of a token that may only change the password.
PASSWORD_CHANGE_SCOPE = "password_change"  # noqa: S105 (a scope name)
MAX_DEVICE_ID_LENGTH = 200  # sessions.device_id
MAX_DEVICE_INFO_BYTES = 2048


@dataclass(frozen=True, slots=True)
class TokenPair:
    user: User
    session: AuthSession
    access: IssuedToken
    refresh_token: str
    csrf_token: str


@dataclass(frozen=True, slots=True)
class PasswordChangeToken:
    """What a correct password earns while the account must change it: an access token
    good for changing the password only, and no refresh token."""

    user: User
    session: AuthSession
    access: IssuedToken


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


def successor_of(deps: Deps, parent: str) -> str:
    """The raw refresh token that follows ``parent``; the same every time it is asked."""
    return refresh_successor(
        secret_key=deps.keys.secret_key, parent=parent, prefix=REFRESH_TOKEN_PREFIX
    )


def add_successor(
    session: AsyncSession, deps: Deps, *, parent: RefreshToken, raw_parent: str
) -> str:
    """Add the row (hash only) of the token that follows ``parent``; returns it raw."""
    raw = successor_of(deps, raw_parent)
    session.add(
        RefreshToken(
            session_id=parent.session_id,
            parent_id=parent.id,
            token_hash=hash_token(raw),
            created_at=deps.clock.now(),
        )
    )
    return raw


async def replace_refresh_tokens(
    session: AsyncSession, deps: Deps, *, auth_session_id: uuid.UUID
) -> str:
    """Retire every refresh token of a session and start it a new one (after a
    re-authentication: a token stolen before must not outlive the proof)."""
    await session.execute(
        update(RefreshToken)
        .where(
            col(RefreshToken.session_id) == auth_session_id,
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(revoked_at=deps.clock.now())
    )
    return new_refresh_token(session, deps, auth_session_id=auth_session_id, parent_id=None)


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
    tenant_id: uuid.UUID | None = None,
) -> AuthSession:
    """A new session of ``user`` acting in ``tenant_id`` (checked by the caller: a tenant
    the user is a member of, active)."""
    auth_session = new_session(
        deps,
        user=user,
        meta=meta,
        device_info=device_info,
        auth_method=auth_method,
        tenant_id=tenant_id,
    )
    session.add(auth_session)
    return auth_session


def new_session(
    deps: Deps,
    *,
    user: User,
    meta: RequestMeta,
    device_info: dict[str, Any] | None,
    auth_method: str,
    tenant_id: uuid.UUID | None = None,
) -> AuthSession:
    """The row ``open_session`` adds, not added (a caller writing it with Core)."""
    now = deps.clock.now()
    check_device_info(device_info)
    device = dict(device_info or {})
    return AuthSession(
        user_id=user.id,
        device_id=device_id_of(device),
        device_info=device,
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
        auth_method=auth_method,
        tenant_id=tenant_id,
        created_at=now,
        last_used_at=now,
        authenticated_at=now,
        expires_at=now + timedelta(days=deps.settings.session_ttl_days),
    )


async def access_token(
    deps: Deps,
    *,
    user: User,
    auth_session: AuthSession,
    scope: str | None = None,
    permissions: frozenset[str] | None = None,
) -> IssuedToken:
    """The ``permissions`` claim is informative for clients; checks read the database.
    ``permissions``: the caller read them already (in its transaction); else they are read.

    ``tid`` names the session's active tenant (absent: none). It is informative too: each
    request reads the session's tenant, and a token whose ``tid`` differs is refused.
    A token with a ``scope`` is good for that scope only and names no permission.
    """
    key = await deps.keys.signing_key()
    claims: dict[str, Any] = {"email": user.email, "role": user.role}
    if auth_session.tenant_id is not None:
        claims["tid"] = str(auth_session.tenant_id)
    if auth_session.amr:
        claims["amr"] = list(auth_session.amr)
    if user.subscription_plan:
        claims["plan"] = user.subscription_plan  # the rate limiter picks the plan budget by it
    if scope is None:
        if permissions is None:
            permissions = await authorization.permissions_of(deps, user.id, auth_session.tenant_id)
        claims["permissions"] = sorted(permissions)
    else:
        claims["scope"] = scope
        claims["permissions"] = []
    return issue_access_token(
        private_jwk=key.private_jwk,
        kid=key.kid,
        issuer=deps.settings.issuer,
        audience=deps.settings.jwt_audience,
        subject=str(user.id),
        session_id=str(auth_session.id),
        now=deps.clock.now(),
        lifetime=timedelta(seconds=(await runtime_settings.current(deps)).access_token_ttl_seconds),
        claims=claims,
    )


async def pair(
    deps: Deps,
    *,
    user: User,
    auth_session: AuthSession,
    refresh_token: str,
    permissions: frozenset[str] | None = None,
) -> TokenPair:
    """The tokens of a session; ``permissions`` for the claim when the caller read them."""
    return TokenPair(
        user=user,
        session=auth_session,
        access=await access_token(
            deps, user=user, auth_session=auth_session, permissions=permissions
        ),
        refresh_token=refresh_token,
        csrf_token=new_csrf_token(),
    )


async def password_change_token(
    deps: Deps, *, user: User, auth_session: AuthSession
) -> PasswordChangeToken:
    return PasswordChangeToken(
        user=user,
        session=auth_session,
        access=await access_token(
            deps, user=user, auth_session=auth_session, scope=PASSWORD_CHANGE_SCOPE
        ),
    )
