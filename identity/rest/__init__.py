"""REST compatibility routes: thin adapters from the documented paths onto the services."""

from starlette.routing import BaseRoute

from identity.rest import health, meta

ROUTERS = (meta.router, health.router)


def routes() -> list[BaseRoute]:
    """Every REST route, flat, so the app, its OpenAPI and the compat table see the same list."""
    return [route for router in ROUTERS for route in router.routes]
