"""A security key or passkey as the second step of a login, and the checks every assertion
shares (the passkey first factor uses them too).

``begin_login`` keeps a fresh challenge in the pending login (``webauthn_challenge``; a new
begin by the holder of its ``mfa_token`` replaces it) and answers the request options for the
user's credentials;
``finish_login`` completes the pending login through ``pending.complete`` with
``verify_login_assertion``, which spends the challenge whatever the outcome.

The sign counter: an authenticator that counts must answer a larger count each time. A
count that did not advance, with a valid signature, means two authenticators hold one key:
the assertion is refused and audited as ``mfa.webauthn.clone_suspected``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import MfaCodeInvalid, WebauthnVerificationFailed
from identity.models.mfa import MfaChallenge, MfaMethod, WebauthnCredential
from identity.principal import RequestMeta
from identity.ratelimit import Budget
from identity.services import after_answer, audit, request_budgets
from identity.services.deps import Deps
from identity.services.mfa import pending
from identity.services.mfa.webauthn.ceremony import (
    TIMEOUT_MS,
    credential_of,
    credentials_of,
    descriptors,
    from_b64url,
    new_challenge,
    options_json,
    parse_response,
    relying_party,
)


@dataclass(frozen=True, slots=True)
class Checked:
    """A verified assertion: the credential (its counter advanced, not yet flushed)."""

    credential: WebauthnCredential
    user_verified: bool


class CloneSuspected(Exception):
    """A valid signature whose sign counter did not advance."""

    def __init__(self, credential: WebauthnCredential, count: int) -> None:
        super().__init__(credential.credential_id)
        self.credential = credential
        self.count = count


async def check_assertion(
    session: AsyncSession,
    deps: Deps,
    *,
    response: dict[str, Any],
    challenge: str,
    user_id: uuid.UUID | None,
    require_user_verification: bool,
) -> Checked | None:
    """Verify ``response`` against ``challenge``; None when it does not prove it (unknown or
    another user's credential, wrong origin or relying party, bad signature, no user
    verification when required). Raises ``CloneSuspected`` for a counter that went back."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    row = await credential_of(session, response["id"], user_id=user_id)
    if row is None:
        return None
    rp = relying_party(deps.settings)
    try:
        verified = verify_authentication_response(
            credential=response,
            expected_challenge=from_b64url(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origins,
            credential_public_key=from_b64url(row.public_key),
            # The counter is compared below, once the signature is known good.
            credential_current_sign_count=0,
            require_user_verification=require_user_verification,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return None
    count = verified.new_sign_count
    if (count > 0 or row.sign_count > 0) and count <= row.sign_count:
        raise CloneSuspected(row, count)
    row.sign_count = count
    row.backed_up = verified.credential_backed_up
    row.last_used_at = deps.clock.now()
    return Checked(credential=row, user_verified=verified.user_verified)


def audit_clone(
    session: AsyncSession, deps: Deps, *, suspected: CloneSuspected, meta: RequestMeta
) -> None:
    row = suspected.credential
    audit.record(
        session,
        event_type=EventType.MFA_WEBAUTHN_CLONE_SUSPECTED,
        now=deps.clock.now(),
        meta=meta,
        subject_id=row.user_id,
        resource="webauthn_credential",
        resource_id=row.credential_id,
        details={"stored_count": row.sign_count, "presented_count": suspected.count},
    )


async def begin_login(
    deps: Deps,
    *,
    user_id: uuid.UUID | str | None,
    mfa_token: str | None,
    meta: RequestMeta,
) -> dict[str, Any]:
    """The request options of the pending login's second step, charged on the caller's
    second-factor budget.

    Only the holder of the pending login's ``mfa_token`` may begin (``user_id``, when sent
    too, must be its user): a user id alone, no pending login or one without a credential
    is refused as a wrong assertion is, and reads or replaces nothing — a stranger who
    knows the id can neither list the user's credentials nor overwrite the challenge the
    user's authenticator is signing."""
    await request_budgets.charge(deps, Budget.MFA_VERIFY, meta)
    wanted = pending.parse_user_id(user_id)
    if not mfa_token or (user_id is not None and wanted is None):
        raise MfaCodeInvalid(field="code")
    challenge = new_challenge()
    async with deps.database.unit_of_work() as session:
        login = await pending.find(
            session, user_id=wanted, mfa_token=mfa_token, now=deps.clock.now()
        )
        rows = await credentials_of(session, login.user_id) if login and login.user_id else []
        if login is None or not rows:
            raise MfaCodeInvalid(field="code")
        login.webauthn_challenge = challenge
    from webauthn import generate_authentication_options
    from webauthn.helpers.structs import UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=relying_party(deps.settings).id,
        challenge=from_b64url(challenge),
        timeout=TIMEOUT_MS,
        allow_credentials=descriptors(rows),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_json(options)


async def verify_login_assertion(
    session: AsyncSession, deps: Deps, *, challenge: MfaChallenge, assertion: str | dict[str, Any]
) -> bool:
    """``pending.complete``'s verifier for ``method=webauthn``: whether ``assertion`` answers
    the pending login's current WebAuthn challenge with one of its user's credentials.

    The challenge is spent with the completion (one conditional UPDATE in ``session``), so
    a replayed or a parallel second assertion fails. A suspected clone is audited in a
    transaction of its own once this one ends (the caller rolls a failure back)."""
    expected = challenge.webauthn_challenge
    if expected is None or challenge.user_id is None:
        return False
    spent = await session.execute(
        update(MfaChallenge)
        .where(
            col(MfaChallenge.id) == challenge.id, col(MfaChallenge.webauthn_challenge) == expected
        )
        .values(webauthn_challenge=None)
        .execution_options(synchronize_session=False)
    )
    if getattr(spent, "rowcount", 0) != 1:
        return False
    challenge.webauthn_challenge = None
    try:
        response = parse_response(assertion)
    except WebauthnVerificationFailed:
        return False
    try:
        checked = await check_assertion(
            session,
            deps,
            response=response,
            challenge=expected,
            user_id=challenge.user_id,
            require_user_verification=False,
        )
    except CloneSuspected as suspected:
        after_answer.defer(_audit_clone_apart(deps, suspected), name="webauthn clone audit")
        return False
    return checked is not None


async def _audit_clone_apart(deps: Deps, suspected: CloneSuspected) -> None:
    async with deps.database.unit_of_work() as session:
        audit_clone(session, deps, suspected=suspected, meta=RequestMeta())


async def finish_login(
    deps: Deps,
    *,
    user_id: uuid.UUID | str | None,
    mfa_token: str | None,
    assertion: str | dict[str, Any],
    meta: RequestMeta,
) -> pending.Completed:
    """Complete the pending login with a security key or passkey; a malformed response is
    refused before it counts as an attempt."""
    response = parse_response(assertion)

    async def verify(session: AsyncSession, challenge: MfaChallenge) -> bool:
        return await verify_login_assertion(session, deps, challenge=challenge, assertion=response)

    return await pending.complete(
        deps,
        user_id=user_id,
        mfa_token=mfa_token,
        method=MfaMethod.WEBAUTHN,
        verify=verify,
        meta=meta,
    )
