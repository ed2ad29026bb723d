"""REST compatibility routes: thin adapters from the documented paths onto the services."""

from starlette.routing import BaseRoute

from identity.rest import (
    admin_roles,
    api_v1_auth,
    email_flows,
    health,
    legacy_auth,
    meta,
    roles,
    users,
    v1_auth,
    v1_sessions,
    well_known,
)

ROUTERS = (
    meta.router,
    health.router,
    well_known.router,
    api_v1_auth.router,
    legacy_auth.router,
    v1_auth.router,
    v1_sessions.router,
    email_flows.api_v1,
    email_flows.v1,
    admin_roles.router,
    roles.router,
    users.api_v1,
    users.v1,
)


def routes() -> list[BaseRoute]:
    """Every REST route, flat, so the app, its OpenAPI and the compat table see the same list."""
    return [route for router in ROUTERS for route in router.routes]
