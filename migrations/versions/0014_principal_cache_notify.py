"""Principal cache invalidation: PostgreSQL triggers ``pg_notify('identity_principal', ...)``
on every change to what an authenticated caller is made of, inside the writing transaction,
whoever writes (the service's ORM, a Core bulk statement, SQL typed by an operator).

Payloads: ``session:<id>`` (a session revoked, expiring, switching tenant, deleted; not its
``last_used_at``, which every refresh touches), ``user:<id>`` (the account, its tenant
memberships, roles and direct permissions), ``all`` (tenants, roles, role permissions,
permissions, and any TRUNCATE). SQLite has no notification channel: nothing to create there
(one process invalidates in process, ``identity.invalidation``).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 17:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "identity_principal_notify"

# The function's arguments: the payload's kind, and the column naming the row ('' for all).
_FUNCTION_SQL = f"""
CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' OR TG_ARGV[0] = 'all' THEN
        PERFORM pg_notify('identity_principal', 'all');
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify(
            'identity_principal', TG_ARGV[0] || ':' || (to_jsonb(OLD) ->> TG_ARGV[1])
        );
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify(
            'identity_principal', TG_ARGV[0] || ':' || (to_jsonb(NEW) ->> TG_ARGV[1])
        );
    END IF;
    RETURN NULL;
END
$$
"""

_SESSION_STATE = ("revoked_at", "expires_at", "tenant_id", "user_id")

# (table, events, kind, key column, WHEN condition)
_ROW_TRIGGERS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "sessions",
        "UPDATE OF " + ", ".join(_SESSION_STATE),
        "session",
        "id",
        " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in _SESSION_STATE),
    ),
    ("sessions", "DELETE", "session", "id", ""),
    ("users", "UPDATE OR DELETE", "user", "id", ""),
    ("tenant_members", "INSERT OR UPDATE OR DELETE", "user", "user_id", ""),
    ("user_roles", "INSERT OR UPDATE OR DELETE", "user", "user_id", ""),
    ("user_permissions", "INSERT OR UPDATE OR DELETE", "user", "user_id", ""),
    ("tenants", "UPDATE OR DELETE", "all", "", ""),
    ("roles", "UPDATE OR DELETE", "all", "", ""),
    ("role_permissions", "INSERT OR UPDATE OR DELETE", "all", "", ""),
    ("permissions", "INSERT OR UPDATE OR DELETE", "all", "", ""),
)
_TRUNCATED = (
    "sessions",
    "users",
    "tenants",
    "tenant_members",
    "roles",
    "role_permissions",
    "permissions",
    "user_roles",
    "user_permissions",
)


def _row_trigger_name(table: str, number: int) -> str:
    return f"{table}_principal_notify_{number}"


def _row_triggers() -> list[tuple[str, str, str]]:
    """(name, table, CREATE TRIGGER statement) of each row trigger."""
    made: list[tuple[str, str, str]] = []
    for number, (table, events, kind, key, when) in enumerate(_ROW_TRIGGERS):
        name = _row_trigger_name(table, number)
        condition = f" WHEN ({when})" if when else ""
        made.append(
            (
                name,
                table,
                f"CREATE TRIGGER {name} AFTER {events} ON {table} FOR EACH ROW{condition} "
                f"EXECUTE FUNCTION {FUNCTION}('{kind}', '{key}')",
            )
        )
    return made


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION_SQL)
    for _name, _table, statement in _row_triggers():
        op.execute(statement)
    for table in _TRUNCATED:
        op.execute(
            f"CREATE TRIGGER {table}_principal_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}('all', '')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TRUNCATED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_principal_truncate ON {table}")
    for name, table, _statement in _row_triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
