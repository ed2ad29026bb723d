"""The invitation service's own rules, below the surfaces: the computed status to the second,
the masked address, and tokens that open nothing once what they prove changed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from identity.errors import InvitationInvalid
from identity.models import Invitation, InvitationStatus
from identity.principal import RequestMeta
from identity.services import invitations
from identity.services.invitations.common import status_at, token_digest
from tests.factories import new_tenant, tenant_admin
from tests.support.app import runtime
from tests.support.invitations import invite, mailed_token
from tests.support.mail import Mailbox

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def pending(expires_at: datetime, status: str = InvitationStatus.PENDING) -> Invitation:
    return Invitation(
        tenant_id=uuid.uuid4(),
        email="a@example.com",
        email_key="a@example.com",
        token_hash="0" * 64,
        status=status,
        last_sent_at=NOW,
        expires_at=expires_at,
        created_at=NOW,
        updated_at=NOW,
    )


def test_a_pending_invitation_is_expired_from_its_expiry_on() -> None:
    expires_at = NOW + timedelta(days=7)
    assert status_at(pending(expires_at), expires_at - timedelta(seconds=1)) == "pending"
    assert status_at(pending(expires_at), expires_at) == "expired"
    assert status_at(pending(expires_at, "revoked"), expires_at) == "revoked"
    assert status_at(pending(expires_at, "accepted"), expires_at) == "accepted"


@pytest.mark.parametrize(
    ("email", "shown"),
    [
        ("jane@example.com", "j***@example.com"),
        ("j@example.com", "j***@example.com"),
        ("first.last+tag@sub.example.org", "f***@sub.example.org"),
    ],
)
def test_the_address_is_masked_to_its_first_letter_and_domain(email: str, shown: str) -> None:
    assert invitations.masked(email) == shown


def test_what_cannot_be_a_token_is_not_looked_up() -> None:
    assert token_digest("") is None
    assert token_digest("a" * (invitations.MAX_TOKEN_LENGTH + 1)) is None
    assert token_digest("a" * 43) is not None


async def test_an_accepted_token_opens_nothing_more(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    deps = runtime(app).deps
    tenant_id = await new_tenant(app, name="Acme")
    admin = await tenant_admin(app, tenant_id)
    await invite(client, admin.token, "jane@example.com")
    token = await mailed_token(mailbox, "jane@example.com")
    meta = RequestMeta(ip_address="203.0.113.9")

    preview = await invitations.validate_invitation(deps, token=token, meta=meta)
    assert preview.tenant_name == "Acme"
    accepted = await invitations.accept_invitation(
        deps,
        token=token,
        meta=meta,
        account=invitations.NewAccount(password="Invited-Passphrase-2026!"),
    )
    assert accepted.created
    assert accepted.invitation.status is InvitationStatus.ACCEPTED

    with pytest.raises(InvitationInvalid):
        await invitations.validate_invitation(deps, token=token, meta=meta)
    with pytest.raises(InvitationInvalid):
        await invitations.accept_invitation(
            deps,
            token=token,
            meta=meta,
            account=invitations.NewAccount(password="Invited-Passphrase-2026!"),
        )
