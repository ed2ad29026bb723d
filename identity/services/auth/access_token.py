"""A principal from a bearer access token: a valid signature and a session still active."""

from __future__ import annotations

import uuid
from functools import partial

from sqlalchemy import bindparam, select
from sqlmodel import col

from identity.errors import IdentityError, TokenExpired, TokenInvalid
from identity.models import AuthSession, User
from identity.observability.metrics import INVALID_ACCESS_TOKENS
from identity.principal import HeldPermissions, Principal, RequestMeta
from identity.security.tokens import token_kid, verify_access_token
from identity.services import authorization
from identity.services.auth.status import PasswordChangeRequired, is_disabled
from identity.services.deps import Deps
from identity.services.tokens import PASSWORD_CHANGE_SCOPE

# Built once: constructing a statement per request costs as much as running it.
_CALLER = (
    select(User, col(AuthSession.revoked_at), col(AuthSession.expires_at))
    .join(AuthSession, col(AuthSession.user_id) == col(User.id))
    .where(col(AuthSession.id) == bindparam("session_id"), col(User.id) == bindparam("user_id"))
)


def _refused(reason: str, error: IdentityError) -> IdentityError:
    """Count an access token refused (not audited: anyone can send many)."""
    INVALID_ACCESS_TOKENS.labels(reason).inc()
    return error


async def authenticate(
    deps: Deps, *, access_token: str, meta: RequestMeta, for_password_change: bool = False
) -> Principal:
    """A principal from a bearer token: a valid signature and a session still active.

    While the account must change its password (or the token was issued for that alone), only
    a caller ``for_password_change`` accepts it; everyone else answers PASSWORD_CHANGE_REQUIRED.
    """
    kid = token_kid(access_token)
    try:
        claims = verify_access_token(
            access_token,
            public_jwks=await deps.keys.public_keys(kid),
            issuer=deps.settings.issuer,
            audience=deps.settings.jwt_audience,
            now=deps.clock.now(),
        )
    except TokenExpired as error:
        raise _refused("expired", error) from None
    except TokenInvalid as error:
        raise _refused("invalid", error) from None
    try:
        session_id = uuid.UUID(claims["sid"])
        user_id = uuid.UUID(claims["sub"])
    except (KeyError, ValueError) as exc:
        raise _refused("invalid", TokenInvalid()) from exc
    now = deps.clock.now()
    async with deps.database.read() as session:
        row = (
            await session.execute(_CALLER, {"session_id": session_id, "user_id": user_id})
        ).one_or_none()
    if row is None:
        raise _refused("session_ended", TokenInvalid("Session not found"))
    user, revoked_at, expires_at = row
    if revoked_at is not None:
        raise _refused("session_ended", TokenInvalid("Session has been revoked"))
    if expires_at <= now:
        raise _refused("session_ended", TokenExpired("Session has expired"))
    if is_disabled(user, now):
        raise _refused("account_disabled", TokenInvalid("Account is disabled"))
    restricted = claims.get("scope") == PASSWORD_CHANGE_SCOPE or user.must_change_password
    if restricted and not for_password_change:
        raise PasswordChangeRequired()
    return Principal(
        user=user,
        user_id=user_id,
        session_id=session_id,
        email=user.email,
        role=user.role,
        token_id=str(claims.get("jti")),
        meta=meta,
        password_change_only=restricted,
        held=HeldPermissions(partial(authorization.permissions_of, deps, user_id)),
    )
