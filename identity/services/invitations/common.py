"""What every invitation operation shares: the answer's shape, the computed status, the token
and its mail.

An invitation's token is 256 random bits (``secrets.token_urlsafe(32)``), stored only as its
SHA-256 digest (``identity.security.secrets``) in ``invitations.token_hash`` (unique), and shown
once, in the mail. A resend replaces the digest, so the earlier token stops working.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from identity.errors import RateLimited
from identity.mail.outbox import enqueue
from identity.models import Invitation, InvitationStatus, Role, Tenant, User
from identity.security.secrets import hash_token, new_token
from identity.services import throttle
from identity.services.deps import Deps

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 200
"""Longer tokens are never ours (ours are 43 characters): refused without a look-up."""
DEFAULT_DAYS = 7
MAX_DAYS = 30
MAX_MESSAGE_LENGTH = 1000
RESENDS_PER_DAY = 5
MAIL_PURPOSE = "invitation"
ACCEPT_PAGE = "accept-invitation"
"""The web app's page that reads the token from the link's fragment."""


@dataclass(frozen=True, slots=True)
class InvitationDetails:
    """An invitation with the names its answers show; ``status`` is computed (expired)."""

    invitation: Invitation
    status: InvitationStatus
    tenant_name: str | None
    role_name: str | None
    invited_by_name: str | None


def status_at(invitation: Invitation, now: datetime) -> InvitationStatus:
    """The stored status, except that a pending invitation past ``expires_at`` is expired."""
    stored = InvitationStatus(invitation.status)
    if stored is InvitationStatus.PENDING and invitation.expires_at <= now:
        return InvitationStatus.EXPIRED
    return stored


def live(now: datetime) -> ColumnElement[bool]:
    """Pending and not expired: the invitations that can still be accepted."""
    return and_(
        col(Invitation.status) == InvitationStatus.PENDING.value,
        col(Invitation.expires_at) > now,
    )


def with_status(status: InvitationStatus, now: datetime) -> ColumnElement[bool]:
    """The rows whose computed status is ``status``."""
    if status is InvitationStatus.PENDING:
        return live(now)
    if status is InvitationStatus.EXPIRED:
        # Stored as expired once a new invitation to the address replaced it.
        return or_(
            col(Invitation.status) == InvitationStatus.EXPIRED.value,
            and_(
                col(Invitation.status) == InvitationStatus.PENDING.value,
                col(Invitation.expires_at) <= now,
            ),
        )
    return col(Invitation.status) == status.value


def display_name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.name or user.username or None


def masked(email: str) -> str:
    """``jane@example.com`` as ``j***@example.com``: enough to recognise, not to harvest."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"


def details_query() -> Any:
    """Invitations with their tenant's, role's and inviter's names, in one statement."""
    inviter = aliased(User)
    return (
        select(Invitation, col(Tenant.name), col(Role.name), inviter)
        .join(Tenant, col(Tenant.id) == col(Invitation.tenant_id), isouter=True)
        .join(Role, col(Role.id) == col(Invitation.role_id), isouter=True)
        .join(inviter, col(inviter.id) == col(Invitation.invited_by), isouter=True)
    )


def details_from(row: Any, now: datetime) -> InvitationDetails:
    invitation, tenant_name, role_name, inviter = row
    return InvitationDetails(
        invitation=invitation,
        status=status_at(invitation, now),
        tenant_name=tenant_name,
        role_name=role_name,
        invited_by_name=display_name(inviter),
    )


async def details_of(
    session: AsyncSession, invitation_id: uuid.UUID, now: datetime
) -> InvitationDetails | None:
    row = (
        await session.execute(details_query().where(col(Invitation.id) == invitation_id))
    ).first()
    return details_from(row, now) if row is not None else None


def token_digest(raw: str) -> str | None:
    """The digest a token is looked up by; None for what cannot be one of ours."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    return hash_token(raw)


def new_secret() -> tuple[str, str]:
    """A fresh raw token and its digest."""
    raw = new_token(TOKEN_BYTES)
    return raw, hash_token(raw)


def accept_link(deps: Deps, raw: str) -> str:
    """The accept page, the token in the fragment (never sent to a server, never logged)."""
    return f"{deps.settings.links_base_url}/{ACCEPT_PAGE}#token={raw}"


async def mail_invitation(
    session: AsyncSession, deps: Deps, *, invitation: Invitation, raw: str, now: datetime
) -> None:
    """Queue the invitation's mail in the caller's transaction.

    Counted per recipient like every other mail (five in an hour, then one every 15 minutes,
    whoever invites): once spent, RateLimited, and nothing is stored. The mail names nobody
    and quotes nothing the inviter wrote (the address is unproven): the accept page shows the
    organization, the inviter and the message once the token is presented.
    """
    key = throttle.mail_key(MAIL_PURPOSE, invitation.email)
    if not await throttle.reserve_mail(session, key=key, now=now):
        raise RateLimited(
            retry_after=int(throttle.RESEND_INTERVAL.total_seconds()),
            message="Too many invitation mails to this address; try again later",
        )
    days = max(1, round((invitation.expires_at - now) / timedelta(days=1)))
    enqueue(
        session,
        now=now,
        to=invitation.email,
        template="invitation",
        context={"link": accept_link(deps, raw), "token": raw, "expires_days": str(days)},
    )
