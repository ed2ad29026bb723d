"""Security keys and passkeys (seed 003's ``/v1/auth/mfa/webauthn/*`` and
``/v1/auth/login/mfa/webauthn/*``), and a passkey as the first factor (``/v1/auth/passkey/*``).

Each ``begin`` answers the options for the browser (WebAuthn's JSON form, plus
``expires_in``); each ``finish`` takes the browser's ``PublicKeyCredential.toJSON()`` as
``credential`` (``assertion`` is accepted as its other name at login), either as an object or
as a JSON string. Registration also takes an enrolment token (``mfa_enrollment_required``): a
security key is a factor an account that must enrol may set up.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import Field

from identity.models.mfa import WebauthnCredential
from identity.rest.auth.flows import MfaEnrollerDep, tokens_answer
from identity.rest.bodies import Body
from identity.rest.deps import DepsDep, MetaDep, PrincipalDep
from identity.rest.responses.account import LoginOut, Message
from identity.rest.responses.webauthn import (
    WebauthnCredentialsOut,
    WebauthnOptionsOut,
    WebauthnRegisteredOut,
)
from identity.rest.routing import row
from identity.rest.shapes import when
from identity.services.mfa import pending
from identity.services.mfa.webauthn import assertion, credentials, passkey, registration
from identity.services.mfa.webauthn.ceremony import CHALLENGE_TTL, MAX_RESPONSE_CHARS, refused

Response_ = str | dict[str, Any] | None


class RegisterFinishBody(Body):
    credential: str | dict[str, Any] | None = None
    name: str | None = Field(None, max_length=100)


class DeleteBody(Body):
    credential_id: str = Field(max_length=1400)


class LoginBeginBody(Body):
    user_id: str | None = Field(None, max_length=64)
    mfa_token: str | None = Field(None, max_length=200)


class LoginFinishBody(LoginBeginBody):
    credential: str | dict[str, Any] | None = None
    assertion: str | dict[str, Any] | None = None


class PasskeyFinishBody(Body):
    credential: str | dict[str, Any] | None = None
    assertion: str | dict[str, Any] | None = None
    device_info: dict[str, Any] | None = None


def _options_json(options: dict[str, Any]) -> dict[str, Any]:
    return {**options, "expires_in": int(CHALLENGE_TTL.total_seconds())}


def _sent(*candidates: Response_) -> str | dict[str, Any]:
    """The browser's response, under whichever name it came; refused when missing."""
    sent = next((one for one in candidates if one is not None), None)
    if sent is None:
        raise refused("missing")
    if isinstance(sent, str) and len(sent) > MAX_RESPONSE_CHARS:
        raise refused("too_large")
    return sent


def credential_json(row: WebauthnCredential) -> dict[str, Any]:
    return {
        "id": row.credential_id,
        "credential_id": row.credential_id,
        "name": row.name,
        "transports": list(row.transports or []),
        "discoverable": row.discoverable,
        "backed_up": row.backed_up,
        "aaguid": row.aaguid,
        "sign_count": row.sign_count,
        "created_at": when(row.created_at),
        "last_used_at": when(row.last_used_at),
    }


async def register_begin(deps: DepsDep, principal: MfaEnrollerDep) -> dict[str, Any]:
    return _options_json(await registration.begin_registration(deps, principal=principal))


async def register_finish(
    body: RegisterFinishBody, deps: DepsDep, principal: MfaEnrollerDep
) -> dict[str, Any]:
    row = await registration.finish_registration(
        deps, principal=principal, credential=_sent(body.credential), name=body.name
    )
    return {"message": "Security key registered", "credential": credential_json(row)}


async def list_credentials(deps: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    rows = await credentials.list_credentials(deps, principal=principal)
    return {"credentials": [credential_json(one) for one in rows], "count": len(rows)}


async def delete_credential(
    body: DeleteBody, deps: DepsDep, principal: PrincipalDep
) -> dict[str, str]:
    await credentials.delete_credential(deps, principal=principal, credential_id=body.credential_id)
    return {"message": "Security key removed"}


async def login_begin(body: LoginBeginBody, deps: DepsDep, meta: MetaDep) -> dict[str, Any]:
    return _options_json(
        await assertion.begin_login(deps, user_id=body.user_id, mfa_token=body.mfa_token, meta=meta)
    )


async def login_finish(
    body: LoginFinishBody, deps: DepsDep, meta: MetaDep, response: Response
) -> dict[str, Any]:
    completed: pending.Completed = await assertion.finish_login(
        deps,
        user_id=body.user_id,
        mfa_token=body.mfa_token,
        assertion=_sent(body.credential, body.assertion),
        meta=meta,
    )
    return tokens_answer(deps, completed.tokens, response, cookie_path=completed.cookie_path)


async def passkey_begin(deps: DepsDep) -> dict[str, Any]:
    return _options_json(await passkey.begin_passkey(deps))


async def passkey_finish(
    body: PasskeyFinishBody, deps: DepsDep, meta: MetaDep, response: Response
) -> dict[str, Any]:
    tokens = await passkey.finish_passkey(
        deps,
        assertion=_sent(body.credential, body.assertion),
        meta=meta,
        device_info=body.device_info,
    )
    return tokens_answer(deps, tokens, response, cookie_path=None)


ROUTES = (
    row(
        "POST",
        "/v1/auth/mfa/webauthn/register/begin",
        register_begin,
        "Begin registering a security key or passkey: creation options; needs recent "
        "authentication or an enrolment token",
        seeds="003",
        response=WebauthnOptionsOut,
    ),
    row(
        "POST",
        "/v1/auth/mfa/webauthn/register/finish",
        register_finish,
        "Finish registering: the browser's credential, verified and stored; needs recent "
        "authentication or an enrolment token",
        seeds="003",
        response=WebauthnRegisteredOut,
    ),
    row(
        "GET",
        "/v1/auth/mfa/webauthn/credentials",
        list_credentials,
        "The caller's security keys and passkeys",
        seeds="003",
        response=WebauthnCredentialsOut,
    ),
    row(
        "DELETE",
        "/v1/auth/mfa/webauthn/credentials",
        delete_credential,
        "Remove a security key or passkey ({credential_id}); needs recent authentication",
        seeds="003",
        response=Message,
    ),
    row(
        "POST",
        "/v1/auth/login/mfa/webauthn/begin",
        login_begin,
        "Second step of a login: request options for the user's security keys (needs the "
        "pending login's mfa_token)",
        seeds="003",
        response=WebauthnOptionsOut,
    ),
    row(
        "POST",
        "/v1/auth/login/mfa/webauthn/finish",
        login_finish,
        "Second step of a login: the assertion completes it (tokens as the login answers)",
        seeds="003",
        response=LoginOut,
    ),
    row(
        "POST",
        "/v1/auth/passkey/begin",
        passkey_begin,
        "Passkey login (no password): request options for a discoverable credential",
        seeds="own",
        response=WebauthnOptionsOut,
    ),
    row(
        "POST",
        "/v1/auth/passkey/finish",
        passkey_finish,
        "Passkey login: the assertion, with user verification, opens a session",
        seeds="own",
        response=LoginOut,
    ),
)
