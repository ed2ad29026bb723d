"""Route tables: each REST module ends with one, naming every path it serves and its seed.

A row is (method, path, seeds, handler): the handler is written once and listed once per path
that serves it, with the seeds that document that path (``000``..``004``, the numbers of the
files in ``shared/seeds/``) or ``own`` for a route of our own that no seed documents. The rows
build the module's router, so a route cannot be served without a row, and
``tests/rest/test_route_tables.py`` compares the union of the tables with
``shared/seeds/endpoints.tsv``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from fastapi import APIRouter

from identity.rest.direct import DirectRoute

SEEDS: Final = ("000", "001", "002", "003", "004")
OWN: Final = "own"


@dataclass(frozen=True)
class Row:
    """One path of one handler: ``handler`` is ``None`` for a route served outside
    ``identity.rest`` (GraphQL, the documentation pages), which the table still explains."""

    method: str
    path: str
    seeds: tuple[str, ...]
    handler: Callable[..., Any] | None
    summary: str
    status_code: int | None = None
    response: Any = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.seeds) - {*SEEDS, OWN}
        if not self.seeds or unknown or (OWN in self.seeds and len(self.seeds) > 1):
            raise ValueError(f"{self.method} {self.path}: seeds {self.seeds!r}")


def row(
    method: str,
    path: str,
    handler: Callable[..., Any] | None,
    summary: str,
    *,
    seeds: str,
    status_code: int | None = None,
    response: Any = None,
    **options: Any,
) -> Row:
    """A row; ``seeds`` is written as the seeds' numbers, ``"000 004"``, or ``"own"``."""
    return Row(
        method=method,
        path=path,
        seeds=tuple(seeds.split()),
        handler=handler,
        summary=summary,
        status_code=status_code,
        response=response,
        options=options,
    )


def seed_note(seeds: tuple[str, ...]) -> str:
    if seeds == (OWN,):
        return ""
    return f" (seed{'s' if len(seeds) > 1 else ''} {', '.join(seeds)})"


def router(table: Iterable[Row], *, tag: str) -> APIRouter:
    """The routes of a table, in its order (a literal path before a parameter at the same
    place: ``/users/me`` before ``/users/{user_id}``)."""
    built = APIRouter(tags=[tag], route_class=DirectRoute)
    for one in table:
        if one.handler is None:
            continue
        options: dict[str, Any] = dict(one.options)
        if one.status_code is not None:
            options["status_code"] = one.status_code
        if one.response is not None:
            # The answer is shaped by the handler, byte for byte as the seeds pin it; the
            # model documents it in /openapi.json. ``Any`` validates nothing and lets FastAPI
            # write the JSON in one pass of pydantic-core (``None`` would walk every value
            # through jsonable_encoder first: twice the CPU of a 100-user page).
            status = str(one.status_code or 200)
            options["response_model"] = Any
            options["responses"] = {status: {"model": one.response}, **options.get("responses", {})}
        built.add_api_route(
            one.path,
            one.handler,
            methods=[one.method],
            summary=one.summary + seed_note(one.seeds),
            **options,
        )
    return built
