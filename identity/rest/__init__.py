"""REST compatibility routes: thin adapters from the documented paths onto the services.

One module (or package) per resource, each ending with its route table
(``identity.rest.routing``). ``TABLES`` is their union, in the order the routes are tried;
``ELSEWHERE`` explains the routes the app serves outside this package; ``NOT_SERVED``
(``identity.rest.not_served``) names the issue that brings each documented path not served yet.
"""

from functools import cache

from starlette.routing import BaseRoute

from identity.rest import (
    audit,
    auth,
    health,
    invitations,
    locations,
    meta,
    mfa,
    mfa_login,
    my_organization,
    organizations,
    permissions,
    roles,
    sessions,
    settings,
    tenants,
    trusted_devices,
    user_roles,
    users,
    webauthn,
    well_known,
)
from identity.rest.not_served import NOT_SERVED
from identity.rest.routing import Row, router, row

# Served by identity.app (GraphQL, FastAPI's document) and identity.web.ui_pages.
ELSEWHERE = (
    row("GET", "/graphql", None, "GraphiQL (development) and GraphQL over GET", seeds="own"),
    row("POST", "/graphql", None, "GraphQL", seeds="own"),
    row("GET", "/openapi.json", None, "This document", seeds="004"),
    row("GET", "/docs", None, "Swagger UI", seeds="004"),
    row("GET", "/docs/oauth2-redirect", None, "Swagger UI's OAuth2 redirect", seeds="own"),
    row("GET", "/static", None, "Assets of the documentation pages", seeds="own"),
)

# Resource tables in the order their routes are tried: my account (``/api/v1/users/me``)
# before users (``/api/v1/users/{user_id}``).
TABLES: dict[str, tuple[Row, ...]] = {
    "meta": meta.ROUTES,
    "health": health.ROUTES,
    "well-known": well_known.ROUTES,
    "auth": auth.ROUTES,
    "mfa": mfa.ROUTES,
    "mfa login": mfa_login.ROUTES,
    "webauthn": webauthn.ROUTES,
    "sessions": sessions.ROUTES,
    "trusted devices": trusted_devices.ROUTES,
    "users": users.ROUTES,
    "user roles": user_roles.ROUTES,
    "roles": roles.ROUTES,
    "permissions": permissions.ROUTES,
    "settings": settings.ROUTES,
    "tenants": tenants.ROUTES,
    "my organization": my_organization.ROUTES,
    "organizations": organizations.ROUTES,
    "locations": locations.ROUTES,
    "invitations": invitations.ROUTES,
    "audit": audit.ROUTES,
}

__all__ = ["ELSEWHERE", "NOT_SERVED", "TABLES", "all_rows", "routes"]


def all_rows() -> list[Row]:
    """Every row: the resource tables' and those served elsewhere."""
    return [*(one for table in TABLES.values() for one in table), *ELSEWHERE]


def routes() -> list[BaseRoute]:
    """Every REST route, flat, so the app, its OpenAPI and the compat table see the same list.

    Built once per process and shared by every app: a route holds its handler and its
    parameters' models, nothing of one app, and building them (FastAPI derives a model per
    parameter and documented answer) costs more than a hundred requests."""
    return list(_built_routes())


@cache
def _built_routes() -> tuple[BaseRoute, ...]:
    return tuple(route for tag, table in TABLES.items() for route in router(table, tag=tag).routes)
