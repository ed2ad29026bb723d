"""The signed-in account's security keys and passkeys: listed, and removed one at a time.

Removing one needs recent authentication (``recent.ensure_recent``); the last second factor
of an account that must have MFA (runtime setting ``mfa_required_for``) stays.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import LastFactorRequired, NotFound
from identity.models.mfa import MfaMethod, WebauthnCredential
from identity.principal import Principal
from identity.services import audit, runtime_settings
from identity.services.deps import Deps
from identity.services.mfa import enrollment, recent, state
from identity.services.mfa.webauthn.ceremony import (
    MAX_CREDENTIAL_ID_CHARS,
    credential_of,
    credentials_of,
)


async def list_credentials(deps: Deps, *, principal: Principal) -> list[WebauthnCredential]:
    """The caller's credentials, oldest first."""
    async with deps.database.read() as session:
        return await credentials_of(session, principal.user_id)


async def delete_credential(deps: Deps, *, principal: Principal, credential_id: str) -> None:
    """Remove one of the caller's credentials; another user's id is not found, alike."""
    now = deps.clock.now()
    rules = await runtime_settings.current(deps)
    async with deps.database.unit_of_work() as session:
        await recent.ensure_recent(session, deps, principal=principal)
        required = await enrollment.must_have_mfa(session, principal.user, rules.mfa_required_for)
        row = (
            await credential_of(session, credential_id, user_id=principal.user_id)
            if 0 < len(credential_id) <= MAX_CREDENTIAL_ID_CHARS
            else None
        )
        if row is None:
            raise NotFound("No such security key or passkey", field="credential_id")
        if required:
            others = [
                one
                for one in (await state.summary(session, principal.user_id)).methods
                if one not in (MfaMethod.WEBAUTHN, MfaMethod.BACKUP_CODE)
            ]
            if not others and len(await credentials_of(session, principal.user_id)) == 1:
                raise LastFactorRequired()
        await session.execute(
            delete(WebauthnCredential).where(col(WebauthnCredential.id) == row.id)
        )
        audit.record(
            session,
            event_type=EventType.MFA_WEBAUTHN_REMOVED,
            now=now,
            meta=principal.meta,
            actor_id=principal.user_id,
            subject_id=principal.user_id,
            session_id=principal.session_id,
            resource="webauthn_credential",
            resource_id=row.credential_id,
            details={"name": row.name},
        )
