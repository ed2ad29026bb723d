"""A login's statements on PostgreSQL: the account found and the attempt counted in one
(``FIND_AND_COUNT``), and the writes of the session it opens in one (``OPEN``).

``FIND_AND_COUNT`` is ``accounts.find_by_identifier``, ``throttle.reserve_attempt`` and
``session_start._chosen_tenant`` in one statement, run on the asyncpg driver in autocommit
(``identity.db_driver``: its own transaction, committed before the password is checked, as
the attempt must be; it writes only ``login_throttles``, which no cache watches). The
counter's key is ``throttle.login_key``'s, computed by PostgreSQL from the account found
(``sha256`` of ``login:account:<id>``), else the identifier's key computed here: the same
upsert, the same row. The account comes back as columns (``u_<name>``, ``u_role``) made
into a ``User`` without the ORM's loading (``db_driver.detached``), as a refresh's does.

``OPEN`` does what the ORM flush of ``session_start._open`` and ``begin_session`` does in
five: it forgets the account's failed logins (the attempt counter row, and the account's
``failed_login_attempts``), records the login on the account (``last_login``,
``last_login_ip``), inserts the session, its ``login.succeeded`` audit row and its first
refresh token. The rows are the ones the ORM path writes, column for column. The audit row
and the refresh token take the session's id from the session's own insert, so the
statement writes all or nothing. Built once at import (building it costs what running it
does).

``OPEN_CHECKED`` is the common password login after the password check, on the driver, in
the manner of ``rotation_sql.ROTATE``: ``OPEN``'s writes made only for an account that may
log in with nothing more to do (checked by the UPDATE of ``users`` itself, which PostgreSQL
checks again on the row it locks: an account deactivated or locked meanwhile is not
written), and the new token's permissions (``authorization._grants_statement``) read in the
same statement. Anything else writes nothing and goes the plain way
(``session_start._log_in``: refusals, second factors, enrolment, a password change owed, a
rehash). It writes ``users`` and ``sessions``, so it runs inside
``PrincipalCache.own_write``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from identity.audit_events import EventType
from identity.db_driver import DriverConnections, DriverStatement, detached
from identity.errors import NotFound
from identity.models import (
    AuthSession,
    LoginThrottle,
    RefreshToken,
    Role,
    Tenant,
    TenantMember,
    User,
    UserStatus,
)
from identity.principal import RequestMeta
from identity.security.secrets import hash_token, new_token
from identity.services import authorization, runtime_settings, throttle
from identity.services.auth.audit_rows import AUDIT_TABLE, insert_audit_from
from identity.services.deps import Deps
from identity.services.mfa.state import second_factor_enabled
from identity.services.text_rules import identifier_key
from identity.services.tokens import (
    REFRESH_TOKEN_PREFIX,
    TokenPair,
    check_device_info,
    device_id_of,
    pair,
)

SESSIONS: Table = AuthSession.__table__  # type: ignore[attr-defined]
TOKENS: Table = RefreshToken.__table__  # type: ignore[attr-defined]
USERS: Table = User.__table__  # type: ignore[attr-defined]
THROTTLES: Table = LoginThrottle.__table__  # type: ignore[attr-defined]
TENANTS: Table = Tenant.__table__  # type: ignore[attr-defined]
MEMBERS: Table = TenantMember.__table__  # type: ignore[attr-defined]
ROLES: Table = Role.__table__  # type: ignore[attr-defined]

USER_COLUMNS = tuple(column.name for column in USERS.c)
USER_FIELDS = (*USER_COLUMNS, "role")

SESSION_COLUMNS = tuple(column.name for column in SESSIONS.c)


def _find_and_count(by_slug: bool) -> Any:
    wanted = bindparam("identifier_key", type_=USERS.c.email_key.type)
    found = (
        select(USERS.c.id)
        .where(or_(USERS.c.email_key == wanted, USERS.c.username_key == wanted))
        .limit(1)
        .cte("found")
    )
    account_key = select(
        func.encode(
            func.sha256(
                func.convert_to(func.concat("login:account:", cast(found.c.id, Text)), "UTF8")
            ),
            "hex",
        )
    ).scalar_subquery()
    now = bindparam("now", type_=THROTTLES.c.last_failure_at.type)
    counted = (
        postgresql.insert(THROTTLES)
        .from_select(
            ["identifier_hash", "failures", "last_failure_at", "locked_until"],
            select(
                func.coalesce(
                    account_key,
                    bindparam("identifier_hash", type_=THROTTLES.c.identifier_hash.type),
                ),
                literal(1),
                now,
                null(),
            ),
        )
        .on_conflict_do_update(
            index_elements=["identifier_hash"],
            set_=throttle.counted_failure(
                now, bindparam("stale_before", type_=THROTTLES.c.last_failure_at.type)
            ),
        )
        .returning(THROTTLES.c.identifier_hash, THROTTLES.c.failures, THROTTLES.c.locked_until)
        .cte("counted")
    )
    chosen = (
        TENANTS.c.slug == bindparam("tenant_slug", type_=TENANTS.c.slug.type)
        if by_slug
        else TENANTS.c.id == USERS.c.primary_tenant_id
    )
    tenant = (
        select(TENANTS.c.id)
        .join(MEMBERS, MEMBERS.c.tenant_id == TENANTS.c.id)
        .where(chosen, TENANTS.c.is_active.is_(True), MEMBERS.c.user_id == USERS.c.id)
        .correlate(USERS)
        .limit(1)
        .scalar_subquery()
    )
    role = select(ROLES.c.name).where(ROLES.c.id == USERS.c.role_id).correlate(USERS)
    return (
        select(
            *(USERS.c[name].label(f"u_{name}") for name in USER_COLUMNS),
            role.scalar_subquery().label("u_role"),
            counted.c.identifier_hash,
            counted.c.failures,
            counted.c.locked_until,
            tenant.label("tenant_id"),
        )
        .select_from(counted)
        .outerjoin(USERS, USERS.c.id == select(found.c.id).scalar_subquery())
    )


FIND_AND_COUNT = DriverStatement(_find_and_count(by_slug=False))
"""Answers one row: the account's columns (``u_id`` None: no account has that identifier),
the attempt (its counter's key, its number, the lock it finds) and ``tenant_id``, the
account's primary tenant when it is active and the account a member of it (else None)."""

FIND_AND_COUNT_IN = DriverStatement(_find_and_count(by_slug=True))
"""``FIND_AND_COUNT`` for a login naming its tenant: ``tenant_id`` is the active tenant of
that slug (``tenant_slug``) the account is a member of, else None."""


def _audited_and_token(opened: Any) -> tuple[Any, Any]:
    """The ``login.succeeded`` audit row and the first refresh token of the session the CTE
    ``opened`` inserts (CTEs: nothing is written when it inserts nothing)."""
    audited = (
        insert_audit_from(
            EventType.LOGIN_SUCCEEDED,
            user_id=opened.c.user_id,
            session_id=opened.c.id,
            tenant_id=opened.c.tenant_id,
        )
        .returning(AUDIT_TABLE.c.id)
        .cte("audited")
    )
    token = (
        insert(TOKENS)
        .from_select(
            ["id", "session_id", "parent_id", "token_hash", "created_at"],
            select(
                bindparam("token_id", type_=TOKENS.c.id.type),
                opened.c.id,
                null(),
                bindparam("token_hash", type_=TOKENS.c.token_hash.type),
                bindparam("now", type_=TOKENS.c.created_at.type),
            ),
        )
        .returning(TOKENS.c.id)
        .cte("token")
    )
    return audited, token


def _open() -> Any:
    forgot = (
        delete(THROTTLES)
        .where(THROTTLES.c.identifier_hash == bindparam("throttle_key"))
        .returning(THROTTLES.c.identifier_hash)
        .cte("forgot")
    )
    touched = (
        update(USERS)
        .where(USERS.c.id == bindparam("user_id"))
        .values(
            last_login=bindparam("now", type_=USERS.c.last_login.type),
            last_login_ip=bindparam("audit_ip_address", type_=USERS.c.last_login_ip.type),
            failed_login_attempts=literal(0),
        )
        .returning(USERS.c.id)
        .cte("touched")
    )
    opened = (
        insert(SESSIONS)
        .values(
            {
                name: bindparam(f"session_{name}", type_=SESSIONS.c[name].type)
                for name in SESSION_COLUMNS
            }
        )
        .returning(SESSIONS.c.id, SESSIONS.c.user_id, SESSIONS.c.tenant_id)
        .cte("opened")
    )
    audited, token = _audited_and_token(opened)
    return select(
        select(opened.c.id).scalar_subquery().label("session_id"),
        select(touched.c.id).scalar_subquery().label("user_id"),
        select(token.c.id).scalar_subquery().label("token_id"),
        select(audited.c.id).scalar_subquery().label("audit_id"),
    ).add_cte(forgot)


OPEN = _open()
"""Answers one row: the ids of the session, the account, the refresh token and the audit
row written (the account's None when it is gone: the caller rolls back)."""


def _may_open_at_once(now: Any) -> tuple[Any, ...]:
    """The accounts ``OPEN_CHECKED`` opens a session for: what ``session_start._log_in``
    lets through with nothing more to do, stricter where that is simpler. Active (neither
    pending, nor disabled, nor locked by an administrator even when the lock has run out),
    no failed-login lock in force, no password change owed, and no second factor (what
    ``mfa.state`` calls none: no TOTP enabled with its secret, no mailed codes, no WebAuthn
    key; backup codes alone are none), so neither a pending login nor a trusted device's
    skip is due."""
    return (
        USERS.c.is_active.is_(True),
        USERS.c.status == UserStatus.ACTIVE.value,
        USERS.c.must_change_password.is_(False),
        or_(USERS.c.locked_until.is_(None), USERS.c.locked_until <= now),
        ~second_factor_enabled(USERS.c.id),
    )


GRANT_COLUMNS = ("g_user_id", "g_role_id", "g_role_name", "g_permission", "g_role_tenant")


def _open_checked() -> Any:
    now = bindparam("now", type_=USERS.c.last_login.type)
    touched = (
        update(USERS)
        .where(USERS.c.id == bindparam("user_id", type_=USERS.c.id.type), *_may_open_at_once(now))
        .values(
            last_login=now,
            last_login_ip=bindparam("audit_ip_address", type_=USERS.c.last_login_ip.type),
            failed_login_attempts=literal(0),
        )
        .returning(*USERS.c)
        .cte("touched")
    )
    went_on = exists(select(touched.c.id))
    forgot = (
        delete(THROTTLES)
        .where(THROTTLES.c.identifier_hash == bindparam("throttle_key"), went_on)
        .returning(THROTTLES.c.identifier_hash)
        .cte("forgot")
    )
    opened = (
        insert(SESSIONS)
        .from_select(
            list(SESSION_COLUMNS),
            select(
                *(
                    bindparam(f"session_{name}", type_=SESSIONS.c[name].type)
                    for name in SESSION_COLUMNS
                )
            ).where(went_on),
        )
        .returning(SESSIONS.c.id, SESSIONS.c.user_id, SESSIONS.c.tenant_id)
        .cte("opened")
    )
    audited, token = _audited_and_token(opened)
    held = authorization._grants_statement("postgresql").subquery("held_grants")
    role = select(ROLES.c.name).where(ROLES.c.id == touched.c.role_id).scalar_subquery()
    nothing: Any = null()
    account = select(
        *(touched.c[name].label(f"u_{name}") for name in USER_COLUMNS),
        role.label("u_role"),
        select(opened.c.id).scalar_subquery().label("session_id"),
        select(token.c.id).scalar_subquery().label("token_id"),
        select(audited.c.id).scalar_subquery().label("audit_id"),
        *(nothing.label(name) for name in GRANT_COLUMNS),
    ).select_from(touched)
    grants = select(
        *(nothing for _ in range(len(USER_COLUMNS) + 4)),
        *(column.label(name) for column, name in zip(held.c, GRANT_COLUMNS, strict=True)),
    ).where(went_on)
    return union_all(account, grants).add_cte(forgot)


_OPEN_CHECKED = _open_checked()
OPEN_CHECKED = DriverStatement(_OPEN_CHECKED)
"""``OPEN`` for an account ``_may_open_at_once`` lets through, checked in the statement
that writes, and the permissions of the new token's claim (``authorization.grants``' rows),
run on the driver. The first row is the account as written (``u_<name>``, ``u_role``) with
the ids of the session, refresh token and audit row; the others are the grants' rows
(``g_<name>``, ``u_id`` None). No row: the account may not log in at once (locked, disabled,
a second factor due...) and nothing was written: the caller goes the plain way."""
_ANSWERED = [column.name for column in _OPEN_CHECKED.selected_columns]
_ACCOUNT_ID = _ANSWERED.index("u_id")
_account_of = itemgetter(*(_ANSWERED.index(f"u_{name}") for name in USER_FIELDS))
_grant_of = itemgetter(*(_ANSWERED.index(name) for name in GRANT_COLUMNS))
"""An answer's columns by position: a super-admin's ~46 rows read in ~10 µs instead of
~54 µs by name (timeit, asyncpg records)."""


Found = tuple[User | None, throttle.Attempt, uuid.UUID | None, bool]
"""The account (None: unknown), the attempt counted, the tenant the login acts in, and
whether the login may go on (False: the slug named no active tenant of the account's)."""


async def found_and_counted(
    driver: DriverConnections, *, identifier: str, tenant_slug: str | None, now: datetime
) -> Found:
    """``FIND_AND_COUNT``: the account ``identifier`` names, this attempt counted under its
    ``throttle.login_key`` (committed as it runs), and the tenant the login acts in
    (``session_start._chosen_tenant``'s answer)."""
    values: dict[str, Any] = {
        "identifier_key": identifier_key(identifier),
        "identifier_hash": throttle.login_key(identifier, None),
        "now": now,
        "stale_before": now - throttle.FAILURE_WINDOW,
    }
    statement = FIND_AND_COUNT
    if tenant_slug is not None:
        values["tenant_slug"] = tenant_slug.strip().lower()
        statement = FIND_AND_COUNT_IN
    async with driver.connection() as connection:
        row = await statement.fetchrow(connection, values)
    attempt = throttle.Attempt(row["identifier_hash"], row["failures"], row["locked_until"])
    if row["u_id"] is None:
        return None, attempt, None, tenant_slug is None
    user = detached(User, {name: row[f"u_{name}"] for name in USER_FIELDS})
    tenant_id = row["tenant_id"]
    return user, attempt, tenant_id, tenant_id is not None or tenant_slug is None


def password_session(
    deps: Deps,
    *,
    user: User,
    meta: RequestMeta,
    device_info: dict[str, Any] | None,
    tenant_id: uuid.UUID | None,
    now: datetime,
) -> AuthSession:
    """``tokens.new_session``'s row for a password login (``amr`` ``["pwd"]``), every column
    given, made without the model's constructor (``db_driver.detached``: ~0.05 ms instead of
    ~0.5 ms; the values are this function's own, nothing to validate)."""
    check_device_info(device_info)
    device = dict(device_info or {})
    return detached(
        AuthSession,
        {
            "id": uuid.uuid4(),
            "user_id": user.id,
            "device_id": device_id_of(device),
            "device_info": device,
            "ip_address": meta.ip_address,
            "user_agent": meta.user_agent,
            "auth_method": "password",
            "amr": ["pwd"],
            "authenticated_at": now,
            "tenant_id": tenant_id,
            "created_at": now,
            "last_used_at": now,
            "expires_at": now + timedelta(days=deps.settings.session_ttl_days),
            "revoked_at": None,
            "revoke_reason": None,
        },
    )


_JSON_COLUMNS = frozenset(
    name for name in SESSION_COLUMNS if isinstance(SESSIONS.c[name].type, JSON)
)


def _as_is(value: Any) -> Any:
    return value


def _login_values(
    deps: Deps,
    user: User,
    attempt: throttle.Attempt,
    meta: RequestMeta,
    device_info: dict[str, Any] | None,
    tenant_id: uuid.UUID | None,
    details: dict[str, Any] | None,
    /,
    *,
    now: datetime,
    encode: Callable[[Any], Any],
) -> tuple[AuthSession, str, dict[str, Any]]:
    """The password session's row, its refresh token, and the parameters ``OPEN`` and
    ``OPEN_CHECKED`` write them with; JSON values through ``encode`` (the driver takes the
    text the engine's serializer, ``json.dumps``, would write)."""
    auth_session = password_session(
        deps, user=user, meta=meta, device_info=device_info, tenant_id=tenant_id, now=now
    )
    raw_refresh = REFRESH_TOKEN_PREFIX + new_token()
    audit_details = {"method": "password", "device": auth_session.device_info, **(details or {})}
    parameters: dict[str, Any] = {
        f"session_{name}": encode(getattr(auth_session, name))
        if name in _JSON_COLUMNS
        else getattr(auth_session, name)
        for name in SESSION_COLUMNS
    }
    parameters.update(
        throttle_key=attempt.key,
        user_id=user.id,
        now=now,
        audit_ip_address=meta.ip_address,
        audit_user_agent=meta.user_agent,
        audit_request_id=meta.request_id,
        audit_id=uuid.uuid4(),
        audit_details=encode(audit_details),
        token_id=uuid.uuid4(),
        token_hash=hash_token(raw_refresh),
    )
    return auth_session, raw_refresh, parameters


async def open_at_once(
    session: AsyncSession,
    deps: Deps,
    *,
    user: User,
    attempt: throttle.Attempt,
    meta: RequestMeta,
    device_info: dict[str, Any] | None,
    tenant_id: uuid.UUID | None,
    details: dict[str, Any] | None,
) -> tuple[AuthSession, str, User]:
    """What ``_forget_failures`` and ``_opened`` write for a password login, as one
    statement (``OPEN``, PostgreSQL): the same rows, one round trip instead of
    five. ``user`` is left as the ORM path leaves it, with nothing pending to flush."""
    now = deps.clock.now()
    auth_session, raw_refresh, parameters = _login_values(
        deps, user, attempt, meta, device_info, tenant_id, details, now=now, encode=_as_is
    )
    written = (await session.execute(OPEN, parameters)).one()
    if written.user_id is None:
        raise NotFound("User not found")
    set_committed_value(user, "failed_login_attempts", 0)
    set_committed_value(user, "last_login", now)
    set_committed_value(user, "last_login_ip", meta.ip_address)
    return auth_session, raw_refresh, user


def _at_once_likely(user: User, now: datetime) -> bool:
    """What ``OPEN_CHECKED`` checks that the account read before the password check tells
    already (the statement checks it all again): a login that would not go on costs no
    statement."""
    locked = user.locked_until is not None and user.locked_until > now
    return (
        user.is_active
        and user.status == UserStatus.ACTIVE
        and not (user.must_change_password or locked)
    )


async def log_in_at_once(
    deps: Deps,
    user: User,
    attempt: throttle.Attempt,
    meta: RequestMeta,
    device_info: dict[str, Any] | None,
    tenant_id: uuid.UUID | None,
    /,
) -> TokenPair | None:
    """A correct password's login as one statement on the driver (``OPEN_CHECKED``: the
    rows ``open_at_once`` writes, column for column, and the new token's permissions),
    committed as it returns; None when it cannot be (SQLite, enforced MFA enrolment, or an
    account the statement does not let through): nothing written, the plain way decides
    (``session_start._log_in``).

    The engine's hooks do not see the statement, so it runs inside
    ``deps.principals.own_write``, which holds the principal cache as they would: the
    account's ``last_login`` is part of every cached copy of it (``me`` shows it). JSON goes
    as the engine's serializer writes it (``json.dumps``)."""
    driver = deps.database.driver
    now = deps.clock.now()
    if driver is None or not _at_once_likely(user, now):
        return None
    if (await runtime_settings.current(deps)).mfa_required_for != "none":
        return None  # ``mfa.enrollment.gate`` decides who must enrol first
    auth_session, raw_refresh, values = _login_values(
        deps, user, attempt, meta, device_info, tenant_id, None, now=now, encode=json.dumps
    )
    values.update(ids=[user.id], tid=tenant_id)
    with deps.principals.own_write():
        async with driver.connection() as connection:
            rows = await OPEN_CHECKED.fetch(connection, values)
    account = next((row for row in rows if row[_ACCOUNT_ID] is not None), None)
    if account is None:
        return None
    opened = detached(User, dict(zip(USER_FIELDS, _account_of(account), strict=True)))
    granted = authorization.grants_of_rows(
        [opened.id], (_grant_of(row) for row in rows if row[_ACCOUNT_ID] is None)
    )
    return await pair(
        deps,
        user=opened,
        auth_session=auth_session,
        refresh_token=raw_refresh,
        permissions=granted[opened.id].permissions,
    )
