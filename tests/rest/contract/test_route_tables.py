"""The REST route tables against the documented paths (``shared/seeds/endpoints.tsv``).

Every route the app serves is explained by exactly one table row; every documented
(method, path) is served at a row naming exactly the seeds that document it, or listed in
``NOT_SERVED`` with the issue that brings it; a row of our own (seed ``own``) is documented by
no seed. Path parameters are compared by position, not name (the seeds write ``{id}`` where a
route says ``{user_id}``), and Starlette's convertors (``{user_id:uuid}``) are ignored.

``endpoints.tsv`` beside this file is a copy of the shared one, so the test also runs in a
clone without ``../shared``; when the shared file is present the copy must equal it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount, Route

from identity import rest
from identity.app import create_app
from identity.config import Settings
from identity.rest.routing import OWN, SEEDS, Row
from identity.route_index import RouteIndex

HERE = Path(__file__).parent
COPY = HERE / "endpoints.tsv"
SHARED = HERE.parents[3] / "shared" / "seeds" / "endpoints.tsv"
PARAMETER = re.compile(r"\{[^}]*\}")
ISSUES = frozenset({"12", "13", "14", "later"})

Key = tuple[str, str]


def shape(path: str) -> str:
    return PARAMETER.sub("{}", path)


def documented() -> dict[Key, set[str]]:
    """(method, path shape) -> the seeds (000..004) that document it."""
    found: dict[Key, set[str]] = defaultdict(set)
    lines = COPY.read_text().splitlines()
    assert lines[0].split("\t") == ["seed", "method", "path"]
    for line in lines[1:]:
        seed_file, method, path = line.split("\t")
        found[method, shape(path)].add(seed_file[:3])
    return found


def served(routes: list[BaseRoute]) -> set[Key]:
    """(method, path shape) of every route the app answers; a mount by its prefix."""
    keys: set[Key] = set()
    for route in routes:
        if isinstance(route, RouteIndex):
            continue  # it serves nothing itself: it finds the routes listed after it
        if isinstance(route, Mount):
            keys.add(("GET", route.path))
        elif isinstance(route, APIRoute | Route):
            keys.update(
                (method, shape(route.path)) for method in route.methods or () if method != "HEAD"
            )
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")
    return keys


def problems(
    routes: list[BaseRoute],
    rows: list[Row],
    not_served: dict[Key, str],
    docs: dict[Key, set[str]],
) -> list[str]:
    found: list[str] = []
    by_key: dict[Key, list[Row]] = defaultdict(list)
    for one in rows:
        by_key[one.method, shape(one.path)].append(one)
    for key, explained in by_key.items():
        if len(explained) > 1:
            found.append(f"{key}: {len(explained)} rows")
    live = served(routes)
    for key in sorted(live - by_key.keys()):
        found.append(f"{key}: served, but no table row explains it")
    for key, explained in sorted(by_key.items()):
        seeds = set(explained[0].seeds)
        if key not in live:
            found.append(f"{key}: a table row, but not served")
        if seeds == {OWN}:
            if key in docs:
                found.append(f"{key}: row says 'own', seeds {sorted(docs[key])} document it")
        elif seeds != docs.get(key, set()):
            documenting = sorted(docs.get(key, set()))
            found.append(f"{key}: row names seeds {sorted(seeds)}, documented by {documenting}")
    pending = {(method, shape(path)): issue for (method, path), issue in not_served.items()}
    for key, issue in sorted(pending.items()):
        if issue not in ISSUES:
            found.append(f"{key}: not served for {issue!r}, not an open issue or 'later'")
        if key in by_key:
            found.append(f"{key}: served, and still listed as not served ({issue})")
        if key not in docs:
            found.append(f"{key}: listed as not served, but no seed documents it")
    for key in sorted(docs.keys() - by_key.keys() - pending.keys()):
        found.append(f"{key}: documented by {sorted(docs[key])}, neither served nor listed")
    return found


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder = tmp_path_factory.mktemp("route-tables")
    return create_app(Settings(env="test", database_url=f"sqlite+aiosqlite:///{folder}/x.db"))


def test_the_copy_of_the_documented_paths_is_the_shared_one() -> None:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not beside this clone")
    assert COPY.read_text() == SHARED.read_text()


def test_the_seeds_document_180_paths() -> None:
    docs = documented()
    assert len(docs) == 180
    assert {seed for seeds in docs.values() for seed in seeds} == set(SEEDS)


def test_the_route_tables_explain_every_route_and_every_documented_path(app: FastAPI) -> None:
    assert problems(app.routes, rest.all_rows(), rest.NOT_SERVED, documented()) == []


def test_a_route_without_a_row_is_found(app: FastAPI) -> None:
    async def extra() -> dict[str, str]:
        return {}

    routes = [*app.routes, APIRoute("/api/v1/users/{user_id}/extra", extra, methods=["GET"])]

    assert problems(routes, rest.all_rows(), rest.NOT_SERVED, documented()) == [
        "('GET', '/api/v1/users/{}/extra'): served, but no table row explains it"
    ]


def test_a_row_naming_the_wrong_seed_or_a_documented_path_served_nowhere_is_found(
    app: FastAPI,
) -> None:
    rows = rest.all_rows()
    login = next(one for one in rows if (one.method, one.path) == ("POST", "/api/v1/auth/login"))
    wrong = Row("POST", login.path, ("000",), login.handler, login.summary)
    rows = [wrong if one is login else one for one in rows]
    not_served = dict(rest.NOT_SERVED)
    del not_served["GET", "/v1/admin/stats"]

    assert problems(app.routes, rows, not_served, documented()) == [
        "('POST', '/api/v1/auth/login'): row names seeds ['000'], documented by ['000', '004']",
        "('GET', '/v1/admin/stats'): documented by ['003'], neither served nor listed",
    ]


def test_every_served_route_is_registered_through_a_table() -> None:
    """The tables build the routers: a handler registered any other way has no row."""
    routes = [route for route in rest.routes() if isinstance(route, APIRoute)]
    assert len(routes) == len(rest.routes())
    registered = {(route.path, method) for route in routes for method in route.methods or ()}
    rows = {(one.path, one.method) for one in rest.all_rows() if one.handler is not None}
    assert registered == rows
