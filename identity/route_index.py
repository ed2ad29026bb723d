"""The app's routes with a literal path, found by one dict lookup instead of a scan.

Starlette tries the routes in order, each matching the path against its pattern: ~0.7 µs a
route, and login, refresh and ``me`` sit 13 to 26 routes down the list. ``RouteIndex`` goes
first and hands a request whose path and method it knows to the route the scan would have
chosen. It knows a pair only when that is certain: when it is built, the first route that
fully matches that path and method (in the same list, in order) is that route. Every other
request goes on down the list as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send


class RouteIndex(BaseRoute):
    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self._routes: dict[tuple[str, str], BaseRoute] = {}
        for route in routes:
            if not isinstance(route, Route) or "{" in route.path or not route.methods:
                continue
            for method in route.methods:
                if _chosen(routes, route.path, method) is route:
                    self._routes[route.path, method] = route

    def __len__(self) -> int:
        return len(self._routes)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not scope.get("root_path"):
            route = self._routes.get((scope["path"], scope["method"]))
            if route is not None:
                return route.matches(scope)
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route the index matched, which recorded itself in the scope."""
        route: BaseRoute = scope["route"]
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)


def _chosen(routes: Sequence[BaseRoute], path: str, method: str) -> BaseRoute | None:
    """The route the router's scan would choose for ``method`` on ``path``, when it records
    itself in the scope (as FastAPI's routes and ``RecordedRoute`` do); else None."""
    scope = {"type": "http", "path": path, "root_path": "", "method": method}
    for route in routes:
        match, child_scope = route.matches(scope)
        if match is Match.FULL:
            return route if child_scope.get("route") is route else None
    return None
