"""What every WebAuthn ceremony shares: the relying party, its challenges, the responses.

A ceremony's challenge is 32 random bytes; the browser signs it inside ``clientDataJSON``, so
a response names its own ceremony: registration and passkey challenges are rows found by the
digest of the challenge (``token_hash``), each claimed once by a conditional UPDATE. Responses
are parsed under a size cap before py_webauthn sees them; anything malformed is
``WEBAUTHN_VERIFICATION_FAILED`` with the reason in ``details``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.config import Settings
from identity.errors import WebauthnVerificationFailed
from identity.models.mfa import ChallengeKind, MfaChallenge, WebauthnCredential
from identity.security.secrets import hash_token

if TYPE_CHECKING:
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

CHALLENGE_TTL = timedelta(minutes=5)
CHALLENGE_BYTES = 32
TIMEOUT_MS = 300_000
MAX_RESPONSE_CHARS = 16_384
"""A response is a few hundred bytes to a few KB (an attestation certificate chain the most);
more is refused before it is parsed."""
MAX_CREDENTIAL_ID_CHARS = 1_400


@dataclass(frozen=True, slots=True)
class RelyingParty:
    id: str
    name: str
    origins: list[str]


def relying_party(settings: Settings) -> RelyingParty:
    return RelyingParty(
        id=settings.webauthn_rp_id,
        name=settings.webauthn_rp_name,
        origins=list(settings.webauthn_origins),
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    """Raises ``ValueError`` for anything that is not base64url."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc


def new_challenge() -> str:
    """A fresh challenge, base64url as it travels and is stored."""
    return b64url(secrets.token_bytes(CHALLENGE_BYTES))


def refused(reason: str) -> WebauthnVerificationFailed:
    """The one refusal of every ceremony; ``reason`` says which check failed."""
    return WebauthnVerificationFailed(field="credential", details={"reason": reason})


def parse_response(value: str | dict[str, Any]) -> dict[str, Any]:
    """The response JSON as a dict, under ``MAX_RESPONSE_CHARS``; refused when malformed."""
    if isinstance(value, dict):
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):
            raise refused("malformed") from None
    elif isinstance(value, str):
        text = value
    else:
        raise refused("malformed")
    if len(text) > MAX_RESPONSE_CHARS:
        raise refused("too_large")
    try:
        parsed = json.loads(text) if isinstance(value, str) else value
    except (ValueError, RecursionError):
        raise refused("malformed") from None
    if not isinstance(parsed, dict):
        raise refused("malformed")
    credential_id = parsed.get("id")
    response = parsed.get("response")
    if (
        not isinstance(credential_id, str)
        or not credential_id
        or len(credential_id) > MAX_CREDENTIAL_ID_CHARS
        or not isinstance(response, dict)
        or not isinstance(response.get("clientDataJSON"), str)
    ):
        raise refused("malformed")
    return parsed


def signed_challenge(response: dict[str, Any]) -> str:
    """The challenge the browser signed (``clientDataJSON.challenge``), as sent to it."""
    try:
        client_data = json.loads(from_b64url(response["response"]["clientDataJSON"]))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise refused("malformed") from None
    challenge = client_data.get("challenge") if isinstance(client_data, dict) else None
    if not isinstance(challenge, str) or not challenge or len(challenge) > 200:
        raise refused("malformed")
    return challenge


def open_ceremony(
    session: AsyncSession,
    *,
    kind: ChallengeKind,
    challenge: str,
    now: datetime,
    user_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
) -> MfaChallenge:
    row = MfaChallenge(
        kind=kind.value,
        token_hash=hash_token(challenge),
        user_id=user_id,
        session_id=session_id,
        webauthn_challenge=challenge,
        created_at=now,
        expires_at=now + CHALLENGE_TTL,
    )
    session.add(row)
    return row


async def claim_ceremony(
    session: AsyncSession, *, kind: ChallengeKind, challenge: str, now: datetime
) -> MfaChallenge | None:
    """The live ceremony of ``challenge``, marked used; None when unknown, used or expired.

    One conditional UPDATE: of two parallel responses to one challenge, one claims it."""
    claimed = await session.execute(
        update(MfaChallenge)
        .where(
            col(MfaChallenge.token_hash) == hash_token(challenge),
            col(MfaChallenge.kind) == kind.value,
            col(MfaChallenge.used_at).is_(None),
            col(MfaChallenge.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(MfaChallenge.id))
    )
    row_id = claimed.scalar_one_or_none()
    if row_id is None:
        return None
    return await session.get(MfaChallenge, row_id)


async def credential_of(
    session: AsyncSession, credential_id: str, *, user_id: uuid.UUID | None = None
) -> WebauthnCredential | None:
    """The credential of that id (of ``user_id`` when given), locked for its sign counter."""
    query = select(WebauthnCredential).where(col(WebauthnCredential.credential_id) == credential_id)
    if user_id is not None:
        query = query.where(col(WebauthnCredential.user_id) == user_id)
    return (await session.scalars(query.with_for_update())).one_or_none()


async def credentials_of(session: AsyncSession, user_id: uuid.UUID) -> list[WebauthnCredential]:
    return list(
        await session.scalars(
            select(WebauthnCredential)
            .where(col(WebauthnCredential.user_id) == user_id)
            .order_by(col(WebauthnCredential.created_at), col(WebauthnCredential.id))
        )
    )


def known_transports(values: Any) -> list[str]:
    from webauthn.helpers.structs import AuthenticatorTransport

    if not isinstance(values, list):
        return []
    known = {each.value for each in AuthenticatorTransport}
    return [each for each in values if isinstance(each, str) and each in known][:10]


def descriptors(rows: Iterable[WebauthnCredential]) -> list[PublicKeyCredentialDescriptor]:
    from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

    return [
        PublicKeyCredentialDescriptor(
            id=from_b64url(row.credential_id),
            transports=[AuthenticatorTransport(each) for each in row.transports or []],
        )
        for row in rows
    ]


def options_json(options: Any) -> dict[str, Any]:
    """py_webauthn's options as the JSON object browsers expect (bytes in base64url)."""
    from webauthn import options_to_json

    return dict(json.loads(options_to_json(options)))
