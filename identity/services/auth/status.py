"""Account states that stop a caller: what login, refresh and access tokens refuse alike."""

from __future__ import annotations

from datetime import datetime

from identity.errors import AccountDisabled, PermissionDenied
from identity.models import User, UserStatus


class AccountPending(AccountDisabled):
    """Created but not activated yet: no login, no refresh, no access."""

    code = "ACCOUNT_PENDING"
    default_message = "Account is not active yet"


class PasswordChangeRequired(PermissionDenied):
    """The caller must change the password before anything else."""

    code = "PASSWORD_CHANGE_REQUIRED"
    default_message = "Change your password first: this token may only change the password"


def is_disabled(user: User, now: datetime | None) -> bool:
    """Deactivated, not activated yet (pending), or locked by an administrator: until
    ``locked_until`` when it is set.

    Without ``now`` a timed lock counts as still in force.
    """
    if not user.is_active or user.status in (UserStatus.INACTIVE, UserStatus.PENDING):
        return True
    if user.status != UserStatus.LOCKED:
        return False
    return user.locked_until is None or now is None or user.locked_until > now


def ensure_active(user: User, now: datetime | None = None) -> None:
    """A disabled account ends its sessions; a failed-login lock only stops password guesses."""
    if user.status == UserStatus.PENDING:
        raise AccountPending()
    if is_disabled(user, now):
        raise AccountDisabled()
