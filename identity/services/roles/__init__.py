"""Roles: create, change and delete them, grant their permissions, assign them to users.

Access is decided here, from the caller, for GraphQL and REST alike:

- reading roles needs ``roles:read``; changing roles and their permissions ``roles:write``;
- reading a user's roles needs ``users:read``; assigning and removing them ``users:write``
  (a user's roles are part of the account, as ``users:write``'s description says).

Three rules protect the system:

- system roles (``is_system``: superadmin, admin, user) cannot be changed or deleted, and no
  other role may take their names (the super-admin role is recognised by its name);
- nobody grants what they do not hold: adding a permission to a role needs that permission;
  assigning or removing a role, and renaming, switching on or off, deleting or taking
  permissions from one, need every permission the role grants, so an admin can neither make
  themself super-admin, nor demote one, nor open a role's holders to their own management
  by switching the role off (``services.access``);
- at least one active super-admin always remains.

Modules: ``manage`` (roles themselves), ``grants`` (the permissions a role grants),
``assignments`` (users' roles, the super-admin safeguard), ``holders`` (batch readers for
GraphQL's loaders), ``common`` (what they share). Who holds a role is ``services.held``'s.
"""

from identity.services.roles.assignments import (
    assign_roles,
    count_active_superadmins,
    ensure_superadmin_remains,
    held_roles_statement,
    remove_roles,
    user_roles,
)
from identity.services.roles.common import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PAGE,
    RoleChanges,
    RoleDetails,
    is_superadmin_role,
    permissions_by_role,
    permissions_of_roles,
)
from identity.services.roles.grants import grant_permissions, revoke_permissions, role_permissions
from identity.services.roles.holders import HoldersKey, HoldersPage, held_roles, role_holders
from identity.services.roles.manage import (
    create_role,
    delete_role,
    get_role,
    list_roles,
    update_role,
)

__all__ = [
    "MAX_DESCRIPTION_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_PAGE",
    "HoldersKey",
    "HoldersPage",
    "RoleChanges",
    "RoleDetails",
    "assign_roles",
    "count_active_superadmins",
    "create_role",
    "delete_role",
    "ensure_superadmin_remains",
    "get_role",
    "grant_permissions",
    "held_roles",
    "held_roles_statement",
    "is_superadmin_role",
    "list_roles",
    "permissions_by_role",
    "permissions_of_roles",
    "remove_roles",
    "revoke_permissions",
    "role_holders",
    "role_permissions",
    "update_role",
    "user_roles",
]
