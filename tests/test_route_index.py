"""The route index chooses what the router's scan would have chosen, for every request."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match

from identity.app import create_app
from identity.config import Settings
from identity.route_index import RouteIndex

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _scan(routes: list[BaseRoute], scope: dict[str, Any]) -> tuple[BaseRoute | None, Any]:
    """What the router chooses: the first full match, else the first partial one."""
    partial = None
    for route in routes:
        match, child_scope = route.matches(scope)
        if match is Match.FULL:
            return child_scope.get("route", route), match
        if match is Match.PARTIAL and partial is None:
            partial = child_scope.get("route", route)
    return partial, None if partial is None else Match.PARTIAL


def test_every_path_and_method_reaches_the_route_the_scan_chose() -> None:
    app = create_app(Settings(env="test"))
    routes = app.router.routes
    index = routes[0]
    assert isinstance(index, RouteIndex)
    assert len(index) > 50
    paths = {getattr(route, "path", "") for route in routes[1:]}
    paths |= {path.replace("{", "x").replace("}", "") for path in paths}
    paths |= {path + "/" for path in paths} | {"/", "/nowhere", "/api/v1/auth/me/extra"}
    for path in sorted(paths):
        for method in METHODS:
            for root_path in ("", "/prefix"):
                scope = {"type": "http", "path": root_path + path, "root_path": root_path}
                scope["method"] = method
                assert _scan(routes, scope) == _scan(routes[1:], scope), (method, path)


def _endpoint() -> dict[str, str]:
    return {}


def test_a_literal_path_behind_a_pattern_that_matches_it_is_left_to_the_scan() -> None:
    app = FastAPI()
    shadowing = APIRoute("/users/{user_id}", _endpoint, methods=["GET"])
    shadowed = APIRoute("/users/me", _endpoint, methods=["GET", "DELETE"])
    index = RouteIndex([shadowing, shadowed])
    app.router.routes[:] = [index, shadowing, shadowed]

    get = {"type": "http", "path": "/users/me", "root_path": "", "method": "GET"}
    delete = {**get, "method": "DELETE"}
    assert index.matches(get) == (Match.NONE, {})
    assert index.matches(delete)[1]["route"] is shadowed
    assert len(index) == 1
