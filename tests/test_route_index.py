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
    paths |= {path + "/" for path in paths} | {path + "/deeper/x" for path in paths}
    paths |= {"/", "", "/nowhere", "//", "/api//v1/users", "/static/a/b.css", "/api/v1/users/x/"}
    for path in sorted(paths):
        for method in METHODS:
            for root_path in ("", "/prefix"):
                scope = {"type": "http", "path": root_path + path, "root_path": root_path}
                scope["method"] = method
                assert _scan(routes, scope) == _scan(routes[1:], scope), (method, path)


def _endpoint() -> dict[str, str]:
    return {}


def test_a_literal_path_behind_a_pattern_that_matches_it_goes_to_the_pattern() -> None:
    app = FastAPI()
    shadowing = APIRoute("/users/{user_id}", _endpoint, methods=["GET"])
    shadowed = APIRoute("/users/me", _endpoint, methods=["GET", "DELETE"])
    index = RouteIndex([shadowing, shadowed])
    app.router.routes[:] = [index, shadowing, shadowed]

    get = {"type": "http", "path": "/users/me", "root_path": "", "method": "GET"}
    delete = {**get, "method": "DELETE"}
    assert len(index) == 1  # DELETE /users/me only: GET is the pattern's
    assert index.matches(get)[1]["route"] is shadowing
    assert index.matches(delete)[1]["route"] is shadowed


def test_a_path_is_tried_against_the_routes_of_its_directories_in_order() -> None:
    app = FastAPI()
    routes: list[BaseRoute] = [
        APIRoute("/api/v1/us{rest}", _endpoint, methods=["GET"]),
        APIRoute("/api/v1/users/{user_id}", _endpoint, methods=["GET"]),
        APIRoute("/api/v1/users/{user_id}/roles", _endpoint, methods=["GET"]),
        APIRoute("/{anything:path}", _endpoint, methods=["GET"]),
    ]
    index = RouteIndex(routes)
    app.router.routes[:] = [index, *routes]

    def chosen(path: str) -> BaseRoute | None:
        match, child_scope = index.matches(
            {"type": "http", "path": path, "root_path": "", "method": "GET"}
        )
        return child_scope.get("route") if match is Match.FULL else None

    assert chosen("/api/v1/users") is routes[0]
    assert chosen("/api/v1/users/7") is routes[1]
    assert chosen("/api/v1/users/7/roles") is routes[2]
    assert chosen("/elsewhere/deep/down") is routes[3]
    for path in ("/api/v1/users", "/api/v1/users/7", "/api/v1/users/7/roles", "/a/b/c"):
        scope = {"type": "http", "path": path, "root_path": "", "method": "GET"}
        assert _scan(app.router.routes, scope) == _scan(routes, scope)


def test_a_deeper_route_listed_first_wins_over_a_shallower_one() -> None:
    deeper = APIRoute("/api/v1/users/{user_id}", _endpoint, methods=["GET"])
    shallower = APIRoute("/api/v1/{kind}/{key}", _endpoint, methods=["GET"])
    for routes in ([deeper, shallower], [shallower, deeper]):
        index = RouteIndex(routes)
        scope = {"type": "http", "path": "/api/v1/users/7", "root_path": "", "method": "GET"}
        assert index.matches(scope)[1]["route"] is routes[0]
