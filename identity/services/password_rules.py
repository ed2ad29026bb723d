"""The one check every new password passes: the local policy, then breached-password lists.

Every place that sets a password (registration, change, reset, an administrator's create or
reset, ``identity create-admin``) calls ``check_new_password``; rehashing a password at login
does not, since that password is not new.
"""

from __future__ import annotations

import logging

from identity.config import Settings
from identity.errors import PasswordRejected
from identity.security.password_policy import check_password, pwned_range_query
from identity.services import runtime_settings
from identity.services.deps import Deps

log = logging.getLogger(__name__)


async def check_new_password(
    deps: Deps,
    password: str,
    *,
    email: str | None = None,
    username: str | None = None,
    min_length: int | None = None,
    field: str = "password",
) -> None:
    """Raise PasswordRejected naming the first rule ``password`` breaks.

    ``min_length`` defaults to the runtime setting ``password_min_length``.
    The breached-password check (``PASSWORD_BREACHED``) runs only when
    ``IDENTITY_BREACHED_PASSWORDS_URL`` is set, and fails open.
    """
    if min_length is None:
        min_length = (await runtime_settings.current(deps)).password_min_length
    check_password(password, email=email, username=username, min_length=min_length, field=field)
    if await breach_count(deps.settings, password) > 0:
        raise PasswordRejected(
            "PASSWORD_BREACHED",
            "This password appears in a known data breach; choose another one",
            field=field,
        )


async def breach_count(settings: Settings, password: str) -> int:
    """How often ``password`` appears in the configured range API; 0 if off or unreachable.

    k-anonymity: only the first five hex characters of the password's SHA-1 are sent; the
    answer lists the suffixes sharing that prefix (with ``Add-Padding``, decoys counted 0).
    """
    base = settings.breached_passwords_url
    if not base:
        return 0
    import httpx  # here: only when the check is on (httpx loads ~20 modules and its CLI)

    query = pwned_range_query(password)
    try:
        async with httpx.AsyncClient(
            timeout=settings.breached_passwords_timeout_seconds, follow_redirects=False
        ) as client:
            response = await client.get(
                base + query.prefix,
                headers={"Add-Padding": "true", "User-Agent": "identity-password-check"},
            )
            response.raise_for_status()
    except httpx.HTTPError as exc:
        log.warning(
            "breached-password check skipped (accepting the password): %s: %s",
            type(exc).__name__,
            exc,
        )
        return 0
    return query.count_in(response.text)
