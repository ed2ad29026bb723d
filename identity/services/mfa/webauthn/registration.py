"""Registering a security key or passkey to the signed-in account.

``begin`` answers the creation options (user verification preferred, resident keys allowed,
the account's credentials excluded) and keeps the challenge, bound to the caller's session, for
5 minutes; ``finish`` claims it (once, whatever the outcome), verifies the response against
the relying party's id and origins, and stores the credential.

A passkey signs in on its own, so both steps need recent authentication
(``recent.ensure_recent``): a stolen access or refresh token alone cannot add a way in. The
holder of an enrolment token (``enrollment``) has just proved the password, and is let through.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from identity.audit_events import EventType
from identity.errors import WebauthnCredentialExists
from identity.models.mfa import ChallengeKind, WebauthnCredential
from identity.principal import Principal
from identity.services import audit
from identity.services.deps import Deps
from identity.services.mfa import notices, recent
from identity.services.mfa.webauthn.ceremony import (
    TIMEOUT_MS,
    b64url,
    claim_ceremony,
    credential_of,
    credentials_of,
    descriptors,
    from_b64url,
    known_transports,
    new_challenge,
    open_ceremony,
    options_json,
    parse_response,
    refused,
    relying_party,
    signed_challenge,
)
from identity.services.text_rules import optional_text

DEFAULT_NAME = "Security key"
FACTOR_NAME = "a security key or passkey"
MAX_NAME_CHARS = 100


async def begin_registration(deps: Deps, *, principal: Principal) -> dict[str, Any]:
    """The ``PublicKeyCredentialCreationOptions`` for ``navigator.credentials.create``."""
    from webauthn import generate_registration_options
    from webauthn.helpers.structs import (
        AttestationConveyancePreference,
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    now = deps.clock.now()
    rp = relying_party(deps.settings)
    user = principal.user
    challenge = new_challenge()
    async with deps.database.unit_of_work() as session:
        await recent.ensure_may_add(session, deps, principal=principal)
        existing = await credentials_of(session, principal.user_id)
        open_ceremony(
            session,
            kind=ChallengeKind.WEBAUTHN_REGISTRATION,
            challenge=challenge,
            now=now,
            user_id=principal.user_id,
            session_id=principal.session_id,
        )
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user.email,
        user_id=principal.user_id.bytes,
        user_display_name=user.display_name or user.email,
        challenge=from_b64url(challenge),
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=descriptors(existing),
    )
    return options_json(options)


def _name(name: str | None, discoverable: bool) -> str:
    return optional_text(name, field="name", max_length=MAX_NAME_CHARS) or (
        "Passkey" if discoverable else DEFAULT_NAME
    )


def _discoverable(response: dict[str, Any]) -> bool:
    """The browser's ``credProps`` extension says whether a resident key was made."""
    results = response.get("clientExtensionResults")
    props = results.get("credProps") if isinstance(results, dict) else None
    return isinstance(props, dict) and props.get("rk") is True


async def finish_registration(
    deps: Deps, *, principal: Principal, credential: str | dict[str, Any], name: str | None = None
) -> WebauthnCredential:
    """Verify the authenticator's response and store the credential it created."""
    response = parse_response(credential)
    challenge = signed_challenge(response)
    label = _name(name, _discoverable(response))
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        ceremony = await claim_ceremony(
            session, kind=ChallengeKind.WEBAUTHN_REGISTRATION, challenge=challenge, now=now
        )
    if (
        ceremony is None
        or ceremony.user_id != principal.user_id
        or ceremony.session_id != principal.session_id
    ):
        raise refused("challenge")
    rp = relying_party(deps.settings)
    from webauthn import verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        verified = verify_registration_response(
            credential=response,
            expected_challenge=from_b64url(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origins,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise refused("verification") from None
    return await _store(
        deps, principal=principal, response=response, verified=verified, name=label, now=now
    )


async def _store(
    deps: Deps,
    *,
    principal: Principal,
    response: dict[str, Any],
    verified: Any,
    name: str,
    now: datetime,
) -> WebauthnCredential:
    credential_id = b64url(verified.credential_id)
    inner = response.get("response")
    async with deps.database.unit_of_work() as session:
        await recent.ensure_may_add(session, deps, principal=principal)
        if await credential_of(session, credential_id) is not None:
            raise WebauthnCredentialExists(field="credential")
        row = WebauthnCredential(
            user_id=principal.user_id,
            credential_id=credential_id,
            public_key=b64url(verified.credential_public_key),
            sign_count=verified.sign_count,
            transports=known_transports(inner.get("transports") if isinstance(inner, dict) else []),
            name=name,
            aaguid=verified.aaguid,
            discoverable=_discoverable(response),
            backed_up=verified.credential_backed_up,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        audit.record(
            session,
            event_type=EventType.MFA_WEBAUTHN_REGISTERED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=principal.session_id,
            resource="webauthn_credential",
            resource_id=credential_id,
            details={"name": name, "discoverable": row.discoverable, "aaguid": row.aaguid},
        )
        notices.factor_added(session, user=principal.user, now=now, factor=FACTOR_NAME)
    return row
