"""The statements of a refresh, built once at import (building one costs what running it does).

``ROTATE`` is the common case on PostgreSQL in one statement, run on the driver outside any
transaction (``identity.db_driver``): it touches the session (the row lock that makes
concurrent refreshes of a session take turns), marks the token used, adds its successor and
the ``token.refreshed`` audit row, and answers the account and the session as they are now.
It rotates only a token that is neither used nor revoked, of a live session, of an account
in good standing (active, not locked, no password change owed) acting in no tenant or in an
active one it is still a member of: every check a refresh makes is in the statement, so it
writes all or nothing. Any other case rotates nothing and the caller goes the plain way
(``TOUCH`` and on, in a transaction), which refuses, answers a reissue or leaves the tenant.

Data-modifying CTEs read the snapshot the statement started with, but an UPDATE that waits
for a row lock re-reads the row it waited for: a refresh that waited on another's session
lock finds the token used (``used_at IS NULL`` is checked again) and rotates nothing; the
session's ``last_used_at`` is all it wrote.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Table,
    Uuid,
    bindparam,
    exists,
    insert,
    null,
    select,
    true,
    update,
)

from identity.audit_events import EventType
from identity.models import AuthSession, RefreshToken, Role, Tenant, TenantMember, User
from identity.services.auth.audit_rows import AUDIT_TABLE, insert_audit_from

SESSIONS: Table = AuthSession.__table__  # type: ignore[attr-defined]
TOKENS: Table = RefreshToken.__table__  # type: ignore[attr-defined]
TENANTS: Table = Tenant.__table__  # type: ignore[attr-defined]
MEMBERS: Table = TenantMember.__table__  # type: ignore[attr-defined]
USERS: Table = User.__table__  # type: ignore[attr-defined]
ROLES: Table = Role.__table__  # type: ignore[attr-defined]

_SESSION_OF_TOKEN = (
    select(TOKENS.c.session_id)
    .where(TOKENS.c.token_hash == bindparam("presented_hash"))
    .scalar_subquery()
)
_LIVE = (
    SESSIONS.c.id == _SESSION_OF_TOKEN,
    SESSIONS.c.revoked_at.is_(None),
    SESSIONS.c.expires_at > bindparam("now"),
    SESSIONS.c.last_used_at > bindparam("idle_cutoff"),
)

TOUCH = (
    update(SESSIONS).where(*_LIVE).values(last_used_at=bindparam("now")).returning(SESSIONS.c.id)
)
"""Locks the session row first (PostgreSQL row lock; SQLite's write lock is already held),
so concurrent refreshes of one session take turns and see each other's work."""

TOKEN = select(TOKENS.c.id, TOKENS.c.session_id, TOKENS.c.used_at, TOKENS.c.revoked_at).where(
    TOKENS.c.token_hash == bindparam("presented_hash")
)
SESSION_REVOKED_AT = select(SESSIONS.c.revoked_at).where(SESSIONS.c.id == bindparam("id"))
CHILD_REVOKED_AT = select(TOKENS.c.revoked_at).where(
    TOKENS.c.token_hash == bindparam("presented_hash")
)
MARK_USED = (
    update(TOKENS).where(TOKENS.c.id == bindparam("token_id")).values(used_at=bindparam("now"))
)
INSERT_TOKEN = insert(TOKENS)
LEAVE_TENANT = (
    update(SESSIONS).where(SESSIONS.c.id == bindparam("session_id")).values(tenant_id=None)
)


def _member(tenant_id: Any, user_id: Any) -> Any:
    return exists().where(MEMBERS.c.tenant_id == tenant_id, MEMBERS.c.user_id == user_id)


STATE = (
    select(
        User,
        AuthSession,
        TENANTS.c.is_active,
        _member(SESSIONS.c.tenant_id, SESSIONS.c.user_id).label("member"),
    )
    .select_from(SESSIONS)
    .join(USERS, USERS.c.id == SESSIONS.c.user_id)
    .outerjoin(TENANTS, TENANTS.c.id == SESSIONS.c.tenant_id)
    .where(SESSIONS.c.id == bindparam("id"))
    .execution_options(populate_existing=True)
)
"""The account and the session of a refresh, the session's tenant (active or not, none when
it is gone) and whether the account is still a member of it."""


def _account_in_good_standing(user_id: Any) -> Any:
    """Active, neither locked nor pending, no password change owed: the accounts a refresh
    goes on for without a further look (every other one takes the plain way)."""
    return exists().where(
        USERS.c.id == user_id,
        USERS.c.is_active.is_(True),
        USERS.c.status == "active",
        USERS.c.must_change_password.is_(False),
    )


def _tenant_in_good_standing(tenant_id: Any, user_id: Any) -> Any:
    """No tenant, or an active one the account is still a member of."""
    member = _member(tenant_id, user_id).correlate(SESSIONS)
    return tenant_id.is_(None) | exists().where(
        TENANTS.c.id == tenant_id, TENANTS.c.is_active.is_(True), member
    )


ROLE_NAME = (
    select(ROLES.c.name).where(ROLES.c.id == USERS.c.role_id).correlate(USERS).scalar_subquery()
)


def _rotate() -> Any:
    touched = (
        update(SESSIONS)
        .where(
            *_LIVE,
            exists().where(
                TOKENS.c.token_hash == bindparam("presented_hash"),
                TOKENS.c.used_at.is_(None),
                TOKENS.c.revoked_at.is_(None),
            ),
            _account_in_good_standing(SESSIONS.c.user_id),
            _tenant_in_good_standing(SESSIONS.c.tenant_id, SESSIONS.c.user_id),
        )
        .values(last_used_at=bindparam("now"))
        .returning(*SESSIONS.c)
        .cte("touched")
    )
    used = (
        update(TOKENS)
        .where(
            TOKENS.c.token_hash == bindparam("presented_hash"),
            TOKENS.c.used_at.is_(None),
            TOKENS.c.revoked_at.is_(None),
            TOKENS.c.session_id.in_(select(touched.c.id)),
        )
        .values(used_at=bindparam("now"))
        .returning(TOKENS.c.id, TOKENS.c.session_id)
        .cte("used")
    )
    successor = (
        insert(TOKENS)
        .from_select(
            ["id", "session_id", "parent_id", "token_hash", "created_at"],
            select(
                bindparam("successor_id", type_=Uuid()),
                used.c.session_id,
                used.c.id,
                bindparam("successor_hash", type_=TOKENS.c.token_hash.type),
                bindparam("now", type_=TOKENS.c.created_at.type),
            ),
        )
        .returning(TOKENS.c.id)
        .cte("successor")
    )
    audited = (
        insert_audit_from(
            EventType.TOKEN_REFRESHED,
            user_id=touched.c.user_id,
            session_id=touched.c.id,
            tenant_id=null(),
            when=exists(select(successor.c.id)),
        )
        .returning(AUDIT_TABLE.c.id)
        .cte("audited")
    )
    return (
        select(
            *(column.label(f"u_{column.name}") for column in USERS.c),
            ROLE_NAME.label("u_role"),
            *(touched.c[column.name].label(f"s_{column.name}") for column in SESSIONS.c),
            used.c.id.label("rotated"),
        )
        .select_from(touched)
        .join(USERS, USERS.c.id == touched.c.user_id)
        .outerjoin(used, true())
        .add_cte(successor, audited)
    )


ROTATE = _rotate()
"""The common refresh (see the module's docstring). Columns: the account's as ``u_<name>``
(and ``u_role``), the session's as ``s_<name>``, ``rotated`` (None: nothing rotated, nothing
written but the session's ``last_used_at`` when another refresh of it won the race)."""
