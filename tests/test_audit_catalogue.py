"""The audit event catalogue: one typed member per event, each named and described once.

mypy holds every ``audit.record`` call to ``EventType``; these tests hold the catalogue itself
(names, descriptions, no renames) and check that no code writes an audit row around it.
"""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path

import httpx
from fastapi import FastAPI

from identity.audit_events import EventType
from identity.services import audit
from tests.support.audit import audit_events

ROOT = Path(__file__).resolve().parents[1]
DOTTED = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)+")
# Stored before the dotted ``area.action`` rule; kept as stored, never renamed.
UNDOTTED = {"logout"}
# The stored names clients and tests read. A rename is a breaking change: add, never rename.
STORED_NAMES = {
    "account.claimed",
    "account.locked",
    "device.removed",
    "email.address_in_use",
    "email.change_requested",
    "email.changed",
    "email.verification_sent",
    "email.verified",
    "key.rotated",
    "location.created",
    "location.deleted",
    "location.updated",
    "location.user_removed",
    "location.users_assigned",
    "login.failed",
    "login.refused",
    "login.succeeded",
    "logout",
    "magic_link.requested",
    "one_time_token.expired",
    "one_time_token.invalid",
    "one_time_token.reuse_detected",
    "password.changed",
    "password.reset",
    "password.reset_requested",
    "permission.created",
    "permission.deleted",
    "permission.updated",
    "reauthentication.failed",
    "role.created",
    "role.deleted",
    "role.permissions_granted",
    "role.permissions_revoked",
    "role.updated",
    "session.revoked",
    "session.revoked_all",
    "session.revoked_others",
    "setting.updated",
    "token.refresh_failed",
    "token.refreshed",
    "token.reuse_detected",
    "user.activated",
    "user.created",
    "user.deactivated",
    "user.deleted",
    "user.locked",
    "user.permissions_set",
    "user.profile_updated",
    "user.promoted",
    "user.registered",
    "user.role_changed",
    "user.roles_assigned",
    "user.roles_removed",
    "user.unlocked",
    "user.updated",
    "users.bulk_action",
    # Invitations
    "invitation.accepted",
    "invitation.created",
    "invitation.resent",
    "invitation.revoked",
    # Tenants
    "session.tenant_switched",
    "tenant.created",
    "tenant.deactivated",
    "tenant.deleted",
    "tenant.member_added",
    "tenant.member_removed",
    "tenant.updated",
    # MFA: trusted devices
    "mfa.device.trusted",
    "mfa.device.trust_revoked",
    # MFA: factors and their management
    "mfa.totp.setup",
    "mfa.enabled",
    "mfa.disabled",
    "mfa.reset",
    "mfa.backup_codes.replaced",
    "mfa.backup_code.used",
    "mfa.preferred_changed",
    "session.reauthenticated",
    # MFA: the login step
    "mfa.challenge.issued",
    "mfa.challenge.failed",
    "mfa.email_code.sent",
    "mfa.email.enabled",
    "mfa.email.disabled",
    "mfa.enrollment.required",
    # MFA: WebAuthn and passkeys
    "mfa.webauthn.registered",
    "mfa.webauthn.removed",
    "mfa.webauthn.clone_suspected",
}


def test_every_event_has_a_one_line_description() -> None:
    for event in EventType:
        assert event.description.strip(), event
        assert "\n" not in event.description, event
        assert event.description.endswith("."), event
        assert len(event.description) <= 120, event


def test_names_are_dotted_lower_case() -> None:
    for event in EventType:
        assert event.value in UNDOTTED or DOTTED.fullmatch(event.value), event.value
        assert event.name == event.value.upper().replace(".", "_"), event.name


def test_names_and_descriptions_are_unique() -> None:
    # A repeated value would make the second member a silent alias of the first.
    assert len(EventType.__members__) == len(EventType)
    assert len({event.description for event in EventType}) == len(EventType)


def test_stored_names_are_the_ones_clients_read() -> None:
    assert {event.value for event in EventType} == STORED_NAMES


def test_record_takes_only_catalogue_members() -> None:
    assert typing.get_type_hints(audit.record)["event_type"] is EventType


def _python_files() -> list[Path]:
    return sorted(
        path
        for folder in ("identity", "schema")
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_no_code_writes_an_audit_row_with_a_free_string() -> None:
    """Only ``audit.record`` builds rows, and no call passes a string literal as the type."""
    builders: list[str] = []
    literals: list[str] = []
    for path in _python_files():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(), filename=where)):
            if not isinstance(node, ast.Call):
                continue
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else None
            callee = callee or (node.func.id if isinstance(node.func, ast.Name) else None)
            if callee == "AuditEvent":
                builders.append(f"{where}:{node.lineno}")
            for keyword in node.keywords:
                if keyword.arg == "event_type" and isinstance(keyword.value, ast.Constant):
                    literals.append(f"{where}:{node.lineno}")
    assert [where.split(":")[0] for where in builders] == ["identity/services/audit.py"]
    assert literals == []


async def test_rows_of_a_session_life_are_catalogue_names(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    account = {"email": "catalogue@example.com", "password": "a long enough password"}
    registered = await client.post("/api/v1/auth/register", json=account)
    assert registered.status_code == 201, registered.text

    # when
    wrong = await client.post(
        "/api/v1/auth/login", json={**account, "password": "not the password"}
    )
    login = await client.post("/api/v1/auth/login", json=account)
    logout = await client.post(
        "/api/v1/auth/logout",
        headers={"Authorization": f"Bearer {login.json()['access_token']}"},
    )

    # then
    assert (wrong.status_code, login.status_code, logout.status_code) == (401, 200, 204)
    rows = await audit_events(app)
    assert sorted(row.event_type for row in rows) == sorted(
        [
            EventType.USER_REGISTERED,
            EventType.EMAIL_VERIFICATION_SENT,
            EventType.LOGIN_FAILED,
            EventType.LOGIN_SUCCEEDED,
            EventType.LOGOUT,
        ]
    )
    assert {type(row.event_type) for row in rows} == {str}
