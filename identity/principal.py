"""Who is calling, and from where: what every service that acts for a caller receives."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from identity.models import User


@dataclass(frozen=True, slots=True)
class RequestMeta:
    """Where a request came from, for sessions and audit rows."""

    ip_address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a user acting through one session.

    ``user`` is the account row read together with the session check, so a request that
    only needs the caller's own account (``me``) costs one query.
    """

    user: User
    user_id: uuid.UUID
    session_id: uuid.UUID
    email: str
    role: str
    token_id: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    meta: RequestMeta = field(default_factory=RequestMeta)
    # The token may only change the password (``must_change_password``).
    password_change_only: bool = False
