"""The app's routes found without trying each in turn.

Starlette tries the routes in order, each matching the path against its pattern: ~0.7 µs a
route, so login, refresh and ``me`` (13 to 26 routes down) paid 10-20 µs and a user's page
(``/api/v1/users/{user_id}``, 85 down) 60 µs. ``RouteIndex`` goes first in the list and
hands a request to the route the scan would have chosen, found two ways:

- a literal path and its method by one dict lookup, for the pairs where the scan's first
  full match is that very route (checked when the index is built);
- any other path among the routes that could match it at all: a route matches only paths
  that begin with its literal prefix (what comes before its first parameter), so only the
  routes whose prefix's directories (``/api/v1/users/``) are directories of the path are
  tried, in the list's order: the first of them that fully matches is the scan's choice.

A route the index cannot hand over (one that does not record itself in the scope, as
FastAPI's routes and ``RecordedRoute`` do), and any request the index finds no full match
for (405, 404, a redirect to the other slash), go on down the list as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, Mount, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

Directories = tuple[str, ...]


class RouteIndex(BaseRoute):
    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self._literal: dict[tuple[str, str], BaseRoute] = {}
        for route in routes:
            if isinstance(route, Route) and "{" not in route.path and route.methods:
                for method in route.methods:
                    if _chosen(routes, route.path, method) is route:
                        self._literal[route.path, method] = route
        self._candidates = _candidates_by_directories(routes)

    def __len__(self) -> int:
        return len(self._literal)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope.get("root_path"):
            return Match.NONE, {}
        path: str = scope["path"]
        route = self._literal.get((path, scope["method"]))
        if route is not None:
            return route.matches(scope)
        for candidate in self._candidates_for(path):
            match, child_scope = candidate.matches(scope)
            if match is Match.FULL:
                if child_scope.get("route") is candidate:
                    return match, child_scope
                break
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route the index matched, which recorded itself in the scope."""
        route: BaseRoute = scope["route"]
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)

    def _candidates_for(self, path: str) -> list[BaseRoute]:
        """The routes of the path's deepest directory the index knows: those of every
        directory above it too (see ``_candidates_by_directories``)."""
        directories = tuple(path.split("/")[1:-1])
        for depth in range(len(directories), 0, -1):
            found = self._candidates.get(directories[:depth])
            if found is not None:
                return found
        return self._candidates[()]


def _directories(route: BaseRoute) -> Directories | None:
    """The directories of the route's literal prefix (``/api/v1/users/{id}``: api, v1,
    users); None for a kind of route whose paths are not known (tried for every path)."""
    if isinstance(route, Mount):
        prefix = route.path + "/"
    elif isinstance(route, Route):
        prefix = route.path.split("{", 1)[0]
    else:
        return None
    return tuple(prefix.split("/")[1:-1])


def _candidates_by_directories(routes: Sequence[BaseRoute]) -> dict[Directories, list[BaseRoute]]:
    """For each directory some route's prefix ends in (and the root), the routes a path in
    it can match: those whose prefix's directories are that directory or one above it, in
    the list's order. A path's candidates are those of its deepest known directory: a route
    of a deeper directory needs more of the path than the path has there."""
    placed: dict[Directories, list[int]] = {(): []}
    for position, route in enumerate(routes):
        placed.setdefault(_directories(route) or (), []).append(position)
    return {
        directory: [
            routes[position]
            for position in sorted(
                position
                for depth in range(len(directory) + 1)
                for position in placed.get(directory[:depth], ())
            )
        ]
        for directory in placed
    }


def _chosen(routes: Sequence[BaseRoute], path: str, method: str) -> BaseRoute | None:
    """The route the router's scan would choose for ``method`` on ``path``, when it records
    itself in the scope (as FastAPI's routes and ``RecordedRoute`` do); else None."""
    scope = {"type": "http", "path": path, "root_path": "", "method": method}
    for route in routes:
        match, child_scope = route.matches(scope)
        if match is Match.FULL:
            return route if child_scope.get("route") is route else None
    return None
