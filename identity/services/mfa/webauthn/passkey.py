"""A passkey as the first factor: no password, no identifier typed, nothing to phish.

``begin_passkey`` answers request options with no ``allowCredentials`` (the authenticator
offers its discoverable credentials for this relying party) and user verification required,
keeping the challenge 5 minutes; ``finish_passkey`` claims it (once, whatever the outcome),
finds the credential and its user (the ``userHandle`` must name that user), verifies the
assertion with user verification, and opens a session as a login does. A passkey with user
verification is two factors in one (the device, and the PIN or biometric that unlocks it):
the session's ``amr`` is ``hwk`` (or ``swk`` for a synced passkey) with ``user`` and ``mfa``,
and no second step is asked.
"""

from __future__ import annotations

from typing import Any

from identity.models import AuthSession, User
from identity.models.mfa import ChallengeKind
from identity.principal import RequestMeta
from identity.ratelimit import Budget
from identity.services import request_budgets
from identity.services.auth import PasswordChangeRequired, begin_session, ensure_active
from identity.services.deps import Deps
from identity.services.mfa.webauthn.assertion import CloneSuspected, audit_clone, check_assertion
from identity.services.mfa.webauthn.ceremony import (
    TIMEOUT_MS,
    b64url,
    claim_ceremony,
    from_b64url,
    new_challenge,
    open_ceremony,
    options_json,
    parse_response,
    refused,
    relying_party,
    signed_challenge,
)
from identity.services.tokens import TokenPair, check_device_info, pair

METHOD = "passkey"


async def begin_passkey(deps: Deps) -> dict[str, Any]:
    """Request options for ``navigator.credentials.get`` with no account named."""
    from webauthn import generate_authentication_options
    from webauthn.helpers.structs import UserVerificationRequirement

    challenge = new_challenge()
    async with deps.database.unit_of_work() as session:
        open_ceremony(
            session, kind=ChallengeKind.PASSKEY_LOGIN, challenge=challenge, now=deps.clock.now()
        )
    options = generate_authentication_options(
        rp_id=relying_party(deps.settings).id,
        challenge=from_b64url(challenge),
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_json(options)


def _user_handle(response: dict[str, Any]) -> str | None:
    inner = response.get("response")
    handle = inner.get("userHandle") if isinstance(inner, dict) else None
    return handle if isinstance(handle, str) and handle else None


async def finish_passkey(
    deps: Deps,
    *,
    assertion: str | dict[str, Any],
    meta: RequestMeta,
    device_info: dict[str, Any] | None = None,
) -> TokenPair:
    """Verify a passkey assertion and open a session for its user."""
    check_device_info(device_info)
    await request_budgets.charge(deps, Budget.LOGIN, meta)
    response = parse_response(assertion)
    challenge = signed_challenge(response)
    handle = _user_handle(response)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        ceremony = await claim_ceremony(
            session, kind=ChallengeKind.PASSKEY_LOGIN, challenge=challenge, now=now
        )
    if ceremony is None:
        raise refused("challenge")
    if handle is None:
        raise refused("user_handle")
    suspected: CloneSuspected | None = None
    opened: tuple[User, AuthSession, str] | None = None
    async with deps.database.unit_of_work() as session:
        try:
            checked = await check_assertion(
                session,
                deps,
                response=response,
                challenge=challenge,
                user_id=None,
                require_user_verification=True,
            )
        except CloneSuspected as clone:
            checked, suspected = None, clone
        if checked is not None:
            user = await session.get(User, checked.credential.user_id)
            if user is None or b64url(user.id.bytes) != handle:
                raise refused("user_handle")
            ensure_active(user, now)
            if user.must_change_password:
                raise PasswordChangeRequired()
            auth_session, refresh = await begin_session(
                session, deps, user=user, meta=meta, device_info=device_info, method=METHOD
            )
            auth_session.amr = ["swk" if checked.credential.backed_up else "hwk", "user", "mfa"]
            opened = (user, auth_session, refresh)
    if suspected is not None:
        async with deps.database.unit_of_work() as session:
            audit_clone(session, deps, suspected=suspected, meta=meta)
        raise refused("sign_count")
    if opened is None:
        raise refused("verification")
    user, auth_session, refresh = opened
    return await pair(deps, user=user, auth_session=auth_session, refresh_token=refresh)
