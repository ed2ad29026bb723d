"""Locations (seed 004): a tenant's sites, and the users assigned to them.

Access: reading locations and assignments needs ``locations:read``; creating, changing,
deleting and assigning ``locations:write``. Where the permission reaches is
``tenancy.reach``'s answer: a location or user of a tenant out of reach is not found (404),
never forbidden, and lists hold only what is within reach.

Modules: ``manage`` (locations themselves), ``assignments`` (who is assigned where, one
primary location per user and tenant, the batch reader of ``User.locations``), ``common``
(what they share).
"""

from identity.services.locations.assignments import (
    assign_locations,
    location_users,
    locations_of_users,
    remove_user_location,
    user_locations,
)
from identity.services.locations.common import (
    MAX_ASSIGN,
    MAX_PAGE,
    Assignee,
    AssigneesPage,
    Assignment,
)
from identity.services.locations.manage import (
    LocationChanges,
    LocationFields,
    create_location,
    delete_location,
    get_location,
    list_locations,
    update_location,
)

__all__ = [
    "MAX_ASSIGN",
    "MAX_PAGE",
    "Assignee",
    "AssigneesPage",
    "Assignment",
    "LocationChanges",
    "LocationFields",
    "assign_locations",
    "create_location",
    "delete_location",
    "get_location",
    "list_locations",
    "location_users",
    "locations_of_users",
    "remove_user_location",
    "update_location",
    "user_locations",
]
