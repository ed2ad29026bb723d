"""Statements run on the driver (``identity.db_driver``) bypass the engine's statement
events: none may write what the principal cache or the users total watch."""

from __future__ import annotations

import pytest

from identity.db_driver import DriverStatement
from identity.invalidation.local import writes_principal
from identity.services.auth import rotation_sql
from identity.services.users_admin import counts
from identity.sql_writes import writes

DRIVEN = {"refresh rotation": rotation_sql.ROTATE}


@pytest.mark.parametrize("name", sorted(DRIVEN))
def test_a_driven_statement_writes_nothing_the_caches_watch(name: str) -> None:
    sql = DriverStatement(DRIVEN[name]).sql

    assert not writes_principal(sql)
    assert not counts.changes_counts(sql)
    assert {write.table for write in writes(sql)} == {"sessions", "refresh_tokens", "audit_events"}


def test_parameters_are_given_by_name_and_literals_are_the_statements_own() -> None:
    statement = DriverStatement(rotation_sql.ROTATE)
    names = {"now", "presented_hash", "idle_cutoff", "successor_id", "successor_hash"}
    names |= {"audit_id", "audit_ip_address", "audit_user_agent", "audit_request_id"}
    names |= {"audit_details"}
    values = {name: name for name in names}

    arguments = statement.arguments(values)

    assert "active" in arguments
    assert "token.refreshed" in arguments
    assert set(arguments) - {"active", "token.refreshed"} == names
    without_now = {name: value for name, value in values.items() if name != "now"}
    with pytest.raises(KeyError):
        statement.arguments(without_now)
