"""Authentication: login, refresh-token rotation, logout, access-token authentication,
re-authentication and password change, one module each; every public name is importable
from here.

- ``session_start``: ``login``, a password checked under the attempt throttle, then a new
  session (``begin_session`` for the other ways of proving who one is: magic links);
- ``rotation``: ``refresh``, the refresh-token chain with its reuse interval;
- ``access_token``: ``authenticate``, the principal of a bearer access token (reached through
  ``identity.web.credentials``, which picks the transport);
- ``session_end``: ``logout``, one session ended;
- ``password``: ``check_current_password`` and ``change_password``;
- ``status``: the account states every one of them refuses alike;
- ``tenant_switch``: ``switch_tenant``, the session's active tenant changed (new tokens),
  and the tenant checked again on each refresh.
"""

from identity.services.auth.access_token import authenticate
from identity.services.auth.password import (
    PasswordChanged,
    change_password,
    check_current_password,
)
from identity.services.auth.rotation import refresh
from identity.services.auth.session_end import logout
from identity.services.auth.session_start import begin_session, login
from identity.services.auth.status import (
    AccountPending,
    PasswordChangeRequired,
    ensure_active,
    is_disabled,
)
from identity.services.auth.tenant_switch import switch_tenant

__all__ = [
    "AccountPending",
    "PasswordChangeRequired",
    "PasswordChanged",
    "authenticate",
    "begin_session",
    "change_password",
    "check_current_password",
    "ensure_active",
    "is_disabled",
    "login",
    "logout",
    "refresh",
    "switch_tenant",
]
