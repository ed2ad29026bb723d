"""The second step of every login: whether a first factor earns a session, a pending login
(``MfaRequired``) or an enrolment (``MfaEnrollmentRequired``), and its completion with a
code (TOTP, backup code, mailed code). WebAuthn completes through ``pending.complete`` with
its own verifier (``identity.services.mfa.webauthn``).

First factors: the password login of every seed (``auth.session_start``) and the magic
link (``magic_link``); a passkey is a first factor strong enough on its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identity.errors import ValidationFailed
from identity.models import User
from identity.models.mfa import MfaChallenge, MfaMethod
from identity.principal import RequestMeta
from identity.services.deps import Deps
from identity.services.mfa import (
    backup_codes,
    email_codes,
    enrollment,
    pending,
    state,
    totp,
    trusted,
)
from identity.services.mfa.enrollment import MfaEnrollmentRequired
from identity.services.mfa.pending import Completed, MfaRequired


@dataclass(frozen=True, slots=True)
class TrustedDeviceSkip:
    """A second factor was due, and a trusted device's token skipped it: the session opens,
    its ``login.succeeded`` row saying so (``details``)."""

    details: dict[str, Any] = field(
        default_factory=lambda: {"second_factor": "trusted_device", "trusted_device": True}
    )


MAX_CODE_LENGTH = 64
CODE_METHODS = (MfaMethod.TOTP, MfaMethod.BACKUP_CODE, MfaMethod.EMAIL)


async def second_step(
    session: AsyncSession,
    deps: Deps,
    *,
    user: User,
    first_factor: str,
    meta: RequestMeta,
    device_token: str | None,
    device_info: dict[str, Any] | None,
    tenant_id: uuid.UUID | None,
    cookie_path: str | None,
    enrol: bool = True,
    summary: state.MfaSummary | None = None,
) -> MfaRequired | MfaEnrollmentRequired | TrustedDeviceSkip | None:
    """What a first factor that just succeeded earns, in its transaction: None for a session
    (no MFA), ``TrustedDeviceSkip`` for one too (a trusted device presented: audited so),
    else a pending login or an enrolment token.

    ``enrol`` False leaves enforcement to a later step (a password that must change first).
    ``summary``: the user's factors, when the caller read them in this transaction already
    (``state.account_and_summary``).
    """
    if summary is None:
        summary = await state.summary(session, user.id)
    if summary.methods:
        if await trusted.recognizes(
            session, user_id=user.id, token=device_token, now=deps.clock.now()
        ):
            return TrustedDeviceSkip()
        return pending.open_pending(
            session,
            deps,
            user=user,
            first_factor=first_factor,
            methods=summary.methods,
            preferred=summary.preferred,
            meta=meta,
            context={
                "device_info": device_info,
                "tenant_id": str(tenant_id) if tenant_id else None,
                "cookie_path": cookie_path,
            },
        )
    if enrol:
        return await enrollment.gate(
            session, deps, user=user, first_factor=first_factor, meta=meta, has_mfa=False
        )
    return None


def _checked(code: str) -> str:
    if len(code) > MAX_CODE_LENGTH:
        raise ValidationFailed(f"A code has at most {MAX_CODE_LENGTH} characters", field="code")
    return code.strip()


def code_verifier(deps: Deps, *, method: MfaMethod, code: str, meta: RequestMeta) -> pending.Verify:
    """The check of a code of ``method`` against a pending login's user."""

    async def verify(session: AsyncSession, challenge: MfaChallenge) -> bool:
        user_id = challenge.user_id
        if user_id is None:
            return False
        if method is MfaMethod.TOTP:
            return await totp.check_totp(session, deps, user_id=user_id, code=code)
        if method is MfaMethod.BACKUP_CODE:
            if not await _has_other_factor(session, user_id):
                return False
            return await backup_codes.consume(session, deps, user_id=user_id, code=code, meta=meta)
        return await email_codes.check(session, deps, challenge=challenge, code=code)

    return verify


async def _has_other_factor(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """Backup codes complete a login only while the account has MFA (they are not a factor
    of their own: left over from MFA turned off, they open nothing)."""
    return MfaMethod.BACKUP_CODE in await state.enabled_methods(session, user_id)


async def complete_with_code(
    deps: Deps,
    *,
    user_id: uuid.UUID | str | None,
    mfa_token: str | None,
    method: MfaMethod,
    code: str,
    meta: RequestMeta,
) -> Completed:
    """Complete a pending login with a TOTP, backup or mailed code. Naming no pending login,
    or an empty code, fails as a wrong code does."""
    if method not in CODE_METHODS:
        raise ValidationFailed(f"{method.value} is not completed with a code", field="method")
    cleaned = _checked(code)
    return await pending.complete(
        deps,
        user_id=user_id,
        mfa_token=mfa_token or None,
        method=method,
        verify=code_verifier(deps, method=method, code=cleaned, meta=meta),
        meta=meta,
    )


def parse_method(raw: str) -> MfaMethod:
    """A client's method name (``totp``, ``email``, ``backup_code``/``backup``, ``webauthn``)."""
    name = raw.strip().lower().replace("-", "_")
    if name == "backup":
        name = MfaMethod.BACKUP_CODE.value
    try:
        return MfaMethod(name)
    except ValueError:
        raise ValidationFailed(
            "method must be one of totp, email, backup_code, webauthn", field="method"
        ) from None


__all__ = [
    "Completed",
    "MfaEnrollmentRequired",
    "MfaRequired",
    "TrustedDeviceSkip",
    "complete_with_code",
    "parse_method",
    "second_step",
]
