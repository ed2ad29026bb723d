"""Logout: one session ended, named by the caller's access token or a refresh token."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import TokenInvalid
from identity.models import AuthSession, RefreshToken
from identity.principal import Principal, RequestMeta
from identity.security.secrets import hash_token
from identity.services import audit
from identity.services.deps import Deps
from identity.services.sessions import revoke_sessions


async def logout(
    deps: Deps,
    *,
    meta: RequestMeta,
    principal: Principal | None = None,
    refresh_token: str | None = None,
) -> None:
    """End a session, named by the caller's access token or by a refresh token."""
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        session_id = principal.session_id if principal else None
        if session_id is None and refresh_token:
            token = await session.scalar(
                select(RefreshToken).where(
                    col(RefreshToken.token_hash) == hash_token(refresh_token)
                )
            )
            session_id = token.session_id if token else None
        if session_id is None:
            raise TokenInvalid("Invalid refresh token")
        auth_session = await session.get(AuthSession, session_id)
        if auth_session is None:
            raise TokenInvalid("Session not found")
        if principal is not None and auth_session.user_id != principal.user_id:
            raise TokenInvalid("Refresh token belongs to another session")
        await revoke_sessions(session, ids=[session_id], now=now, reason="logout")
        audit.record(
            session,
            event_type=EventType.LOGOUT,
            now=now,
            meta=meta,
            actor_id=auth_session.user_id,
            subject_id=auth_session.user_id,
            session_id=session_id,
        )
