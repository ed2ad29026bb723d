"""A principal from a bearer access token: a valid signature and a session still active."""

from __future__ import annotations

import uuid
from functools import partial

from sqlalchemy import bindparam, exists, select
from sqlmodel import col

from identity.errors import IdentityError, TokenExpired, TokenInvalid
from identity.invalidation.cache import CallerRow
from identity.models import AuthSession, Tenant, TenantMember, User
from identity.observability.metrics import INVALID_ACCESS_TOKENS
from identity.principal import HeldPermissions, Holding, Principal, RequestMeta
from identity.security.tokens import token_kid, verify_access_token
from identity.services import authorization
from identity.services.auth.status import PasswordChangeRequired, is_disabled
from identity.services.deps import Deps
from identity.services.tokens import PASSWORD_CHANGE_SCOPE

# Built once: constructing a statement per request costs as much as running it. The
# session's active tenant comes with it: whether that tenant is active and whether the
# user is still a member of it (one statement, as before tenants).
_MEMBER = (
    exists()
    .where(
        col(TenantMember.tenant_id) == col(AuthSession.tenant_id),
        col(TenantMember.user_id) == col(User.id),
    )
    .correlate(AuthSession, User)
)
_CALLER = (
    select(
        User,
        col(AuthSession.revoked_at),
        col(AuthSession.expires_at),
        col(AuthSession.tenant_id),
        col(Tenant.is_active),
        _MEMBER.label("member"),
    )
    .join(AuthSession, col(AuthSession.user_id) == col(User.id))
    .outerjoin(Tenant, col(Tenant.id) == col(AuthSession.tenant_id))
    .where(col(AuthSession.id) == bindparam("session_id"), col(User.id) == bindparam("user_id"))
)


# How long a request right after a write of this process waits for the write's echo
# (``identity.invalidation``) before reading the database instead.
ECHO_WAIT_SECONDS = 0.1

_KIDS: dict[str, str | None] = {}
_MAX_HEADERS = 64
_MAX_HEADER_LENGTH = 200


def _kid(access_token: str) -> str | None:
    """``token_kid``, remembered by the token's header segment: every token signed by one
    key carries the same header, and decoding it costs more than the cached read it selects
    keys for. Only picks the key set; the signature is verified as ever."""
    header = access_token.partition(".")[0]
    try:
        return _KIDS[header]
    except KeyError:
        pass
    kid = token_kid(access_token)
    if len(header) > _MAX_HEADER_LENGTH:
        return kid
    if len(_KIDS) >= _MAX_HEADERS:
        _KIDS.clear()
    _KIDS[header] = kid
    return kid


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
    kid = _kid(access_token)
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
    found = await _caller(deps, session_id, user_id)
    if found is None:
        raise _refused("session_ended", TokenInvalid("Session not found"))
    user, revoked_at, expires_at = found.user, found.revoked_at, found.expires_at
    tenant_id, tenant_active, member = found.tenant_id, found.tenant_active, found.member
    if revoked_at is not None:
        raise _refused("session_ended", TokenInvalid("Session has been revoked"))
    if expires_at <= now:
        raise _refused("session_ended", TokenExpired("Session has expired"))
    if claims.get("tid") != (str(tenant_id) if tenant_id else None):
        # Issued before the session switched tenant (or forged around it): the session's
        # tenant decides, and a client must not act in one tenant believing it is in another.
        raise _refused("tenant_changed", TokenInvalid("Token was issued for another tenant"))
    if tenant_id is not None and not tenant_active:
        raise _refused("tenant_inactive", TokenInvalid("Organization is deactivated"))
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
        tenant_id=tenant_id if member else None,
        held=HeldPermissions(partial(_holding, deps, user_id, tenant_id if member else None)),
    )


async def _caller(deps: Deps, session_id: uuid.UUID, user_id: uuid.UUID) -> CallerRow | None:
    """The session and account, from the principal cache or ``_CALLER``.

    Whatever is found is checked by the caller on every request, cached or not (revoked,
    expired at this second, tenant, disabled), so the cache only spares the read.
    """
    cache = deps.principals
    if cache.held_by_own_writes:
        await cache.until_echoed(ECHO_WAIT_SECONDS)
    cached = cache.caller(session_id, user_id)
    if cached is not None:
        return cached
    generation = cache.generation
    async with deps.database.read() as session:
        row = (
            await session.execute(_CALLER, {"session_id": session_id, "user_id": user_id})
        ).one_or_none()
    if row is None:
        return None
    found = CallerRow(*row)
    cache.store(generation, session_id, found)
    return found


async def _holding(deps: Deps, user_id: uuid.UUID, tenant_id: uuid.UUID | None) -> Holding:
    cache = deps.principals
    if cache.held_by_own_writes:
        await cache.until_echoed(ECHO_WAIT_SECONDS)
    held = cache.holding(user_id, tenant_id)
    if held is None:
        generation = cache.generation
        held = await authorization.holding_of(deps, user_id, tenant_id)
        cache.store_holding(generation, user_id, tenant_id, held)
    return held
