"""Users administration: list, read, create, change, lock, delete, bulk actions, direct grants.

Access is decided here, from the calling principal, for GraphQL and REST alike:

| operation | needs |
| --- | --- |
| list, get, list admins | ``users:read`` |
| create, update (PUT/PATCH), role assignment, activate/deactivate | ``users:write`` |
| a change of ``status`` to or from ``locked``, lock, unlock | ``users:lock`` (and the above) |
| delete | ``users:delete`` |
| direct grants (create with ``permissions``, set permissions) | also ``permissions:write`` |

Rules beyond the permission each operation needs:

- *In the transaction*: the caller's permissions are checked early, and read again inside
  the unit of work that makes the change, so a revocation committed in between stops it.
- *No escalation* (``PRIVILEGE_ESCALATION``, 403): a caller assigns only roles whose
  permissions they hold, grants or removes only permissions they hold, and changes only
  accounts whose permissions they hold, inactive roles included (an ``admin`` cannot lock
  or demote a super-admin). The rules live in ``services.access``.
- *Acting on oneself*: changing one's own email or username here needs the current
  password, as on the self-service routes (``auth.check_current_password``: the same
  refusal, ``INVALID_CREDENTIALS``, and the same attempt counter).
- *A super-admin remains* (``LAST_SUPERADMIN``, 409): the last active super-admin cannot be
  locked, deactivated, demoted or deleted. The remaining super-admins are read ``FOR UPDATE``
  so two concurrent requests cannot each remove one of the last two.
- Locking, deactivating or deleting an account ends its sessions in the same transaction, so
  its access tokens stop working at once (``auth.authenticate`` checks session and status).
- A change of an account's email or status (lock, unlock, activate, deactivate) retires
  every outstanding one-time token of the account, all purposes, in the same transaction:
  a link mailed before must not outlive what the administrator changed.
- Every change writes its audit event (old and new values) in the transaction of the change.

Modules: ``shapes`` (what it takes and answers), ``queries`` (reads), ``act`` (what every
change shares: ``_Act``), ``transitions`` (one function per state transition, shared by
single and bulk operations), ``creation``, ``changes`` (PATCH/PUT), ``grants`` (direct
permissions), ``bulk``.
"""

from identity.services._kit import UNSET, Unset
from identity.services.users_admin.bulk import bulk_action
from identity.services.users_admin.changes import update_user
from identity.services.users_admin.creation import create_user
from identity.services.users_admin.grants import set_permissions
from identity.services.users_admin.queries import get_user, grants_of, list_users
from identity.services.users_admin.shapes import (
    BULK_PERMISSIONS,
    MAX_BULK_USERS,
    MAX_LOCK_MINUTES,
    MAX_PAGE_SIZE,
    MAX_REASON_LENGTH,
    PROFILE_FIELDS,
    BulkAction,
    BulkOutcome,
    BulkResult,
    NewUser,
    SortField,
    SortOrder,
    UserChanges,
    UserPage,
    UserQuery,
)
from identity.services.users_admin.transitions import delete_user, lock_user, unlock_user

__all__ = [
    "BULK_PERMISSIONS",
    "MAX_BULK_USERS",
    "MAX_LOCK_MINUTES",
    "MAX_PAGE_SIZE",
    "MAX_REASON_LENGTH",
    "PROFILE_FIELDS",
    "UNSET",
    "BulkAction",
    "BulkOutcome",
    "BulkResult",
    "NewUser",
    "SortField",
    "SortOrder",
    "Unset",
    "UserChanges",
    "UserPage",
    "UserQuery",
    "bulk_action",
    "create_user",
    "delete_user",
    "get_user",
    "grants_of",
    "list_users",
    "lock_user",
    "set_permissions",
    "unlock_user",
    "update_user",
]
