"""The second step of a login (seed 003): complete a pending login with a TOTP, backup or
mailed code, mail that code, and turn login codes by email on and off.

Completion answers exactly what the login that left the login pending would have answered:
tokens, in cookie mode the cookies and the CSRF token (``login_answer``). Whatever is wrong
(no pending login for ``user_id``, another user's ``mfa_token``, a used or expired one, a
wrong code) answers the same 401 ``MFA_CODE_INVALID``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import Field

from identity.models.mfa import MfaMethod
from identity.principal import RequestMeta
from identity.rest.auth.flows import MfaEnrollerDep, tokens_answer
from identity.rest.bodies import Body
from identity.rest.deps import DepsDep, MetaDep, PrincipalDep
from identity.rest.responses.account import LoginOut, Message
from identity.rest.responses.mfa_login import EmailCodeSentOut
from identity.rest.routing import row
from identity.services.deps import Deps
from identity.services.mfa import email_codes, login_step
from identity.services.mfa.pending import Completed


class PendingBody(Body):
    """Names the pending login: ``user_id`` (the seed's), ``mfa_token`` (the login's answer)
    or both, which must agree."""

    user_id: str | None = Field(None, max_length=64)
    mfa_token: str | None = Field(None, max_length=200)


class SendBody(PendingBody):
    """The pending login to mail a code for: its ``mfa_token`` is needed (a ``user_id``
    alone answers 401 ``MFA_CODE_INVALID``, as no pending login does)."""


class MfaCodeBody(PendingBody):
    code: str = Field(min_length=1, max_length=64)


def login_answer(deps: Deps, completed: Completed, response: Response) -> dict[str, Any]:
    """What the login route would have answered for the session a second factor opened."""
    return tokens_answer(deps, completed.tokens, response, cookie_path=completed.cookie_path)


async def _complete(
    deps: Deps, body: MfaCodeBody, meta: RequestMeta, response: Response, method: MfaMethod
) -> dict[str, Any]:
    completed = await login_step.complete_with_code(
        deps,
        user_id=body.user_id,
        mfa_token=body.mfa_token,
        method=method,
        code=body.code,
        meta=meta,
    )
    return login_answer(deps, completed, response)


async def login_totp(
    body: MfaCodeBody, deps: DepsDep, meta: MetaDep, response: Response
) -> dict[str, Any]:
    return await _complete(deps, body, meta, response, MfaMethod.TOTP)


async def login_backup(
    body: MfaCodeBody, deps: DepsDep, meta: MetaDep, response: Response
) -> dict[str, Any]:
    return await _complete(deps, body, meta, response, MfaMethod.BACKUP_CODE)


async def login_email(
    body: MfaCodeBody, deps: DepsDep, meta: MetaDep, response: Response
) -> dict[str, Any]:
    return await _complete(deps, body, meta, response, MfaMethod.EMAIL)


async def send_email_code(body: SendBody, deps: DepsDep, meta: MetaDep) -> dict[str, Any]:
    expires_in = await email_codes.send(
        deps, user_id=body.user_id, mfa_token=body.mfa_token, meta=meta
    )
    return {"message": "A login code was sent to your email address", "expires_in": expires_in}


async def enable_email(principal: MfaEnrollerDep, deps: DepsDep) -> dict[str, str]:
    await email_codes.enable(deps, principal=principal)
    return {"message": "Login codes by email enabled"}


async def disable_email(principal: PrincipalDep, deps: DepsDep) -> dict[str, str]:
    await email_codes.disable(deps, principal=principal)
    return {"message": "Login codes by email disabled"}


COMPLETE = "Complete a pending login with"

ROUTES = (
    row(
        "POST",
        "/v1/auth/login/mfa",
        login_totp,
        f"{COMPLETE} a TOTP code",
        seeds="003",
        response=LoginOut,
    ),
    row(
        "POST",
        "/v1/auth/login/mfa/backup",
        login_backup,
        f"{COMPLETE} a backup code",
        seeds="003",
        response=LoginOut,
    ),
    row(
        "POST",
        "/v1/auth/login/mfa/email/send",
        send_email_code,
        "Mail a login code for the pending login of mfa_token (3 per login; a user_id alone "
        "answers 401 MFA_CODE_INVALID)",
        seeds="003",
        response=EmailCodeSentOut,
    ),
    row(
        "POST",
        "/v1/auth/login/mfa/email",
        login_email,
        f"{COMPLETE} a mailed code",
        seeds="003",
        response=LoginOut,
    ),
    row(
        "POST",
        "/v1/auth/mfa/email/enable",
        enable_email,
        "Turn login codes by email on (verified address; an enrolment token will do)",
        seeds="003",
        response=Message,
    ),
    row(
        "POST",
        "/v1/auth/mfa/email/disable",
        disable_email,
        "Turn login codes by email off (recent authentication)",
        seeds="003",
        response=Message,
    ),
)
