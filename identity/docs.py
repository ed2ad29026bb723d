"""The README's generated tables (endpoints, settings), so they cannot drift from the code."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from importlib import resources

from starlette.routing import BaseRoute, Route

from identity.config import Settings

SEED_TABLE = "endpoints.tsv"
_PARAMETER = re.compile(r"\{[^}]+\}")


@dataclass(frozen=True, slots=True)
class DocumentedEndpoint:
    seed: str
    method: str
    path: str


def documented_endpoints() -> list[DocumentedEndpoint]:
    text = resources.files("identity.data").joinpath(SEED_TABLE).read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return [DocumentedEndpoint(row["seed"][:3], row["method"], row["path"]) for row in rows]


def _shape(path: str) -> str:
    """A path with its parameters unnamed: ``/v1/roles/{id}`` and ``/v1/roles/{role_id}`` agree."""
    return _PARAMETER.sub("{}", path)


def served_endpoints(routes: list[BaseRoute]) -> set[tuple[str, str]]:
    served: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Route):
            for method in route.methods or ():
                served.add((method, _shape(route.path)))
    return served


def render_compat_table(routes: list[BaseRoute]) -> str:
    served = served_endpoints(routes)
    endpoints = documented_endpoints()
    # The table lists each method+path once, naming every seed that documents it.
    seeds: dict[tuple[str, str], list[str]] = {}
    for endpoint in endpoints:
        seeds.setdefault((endpoint.method, endpoint.path), []).append(endpoint.seed)
    done = sum((method, _shape(path)) in served for method, path in seeds)
    lines = [
        f"{done} of {len(seeds)} documented endpoints are served.",
        "",
        "| method | path | seeds | served |",
        "| --- | --- | --- | --- |",
    ]
    for (method, path), names in sorted(seeds.items(), key=lambda item: (item[0][1], item[0][0])):
        mark = "yes" if (method, _shape(path)) in served else "not yet"
        lines.append(f"| {method} | `{path}` | {', '.join(sorted(set(names)))} | {mark} |")
    return "\n".join(lines) + "\n"


def render_settings_table() -> str:
    lines = ["| setting | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "unset" if default is None else getattr(default, "value", default)
        lines.append(f"| `IDENTITY_{name.upper()}` | `{shown}` | {field.description} |")
    return "\n".join(lines) + "\n"


def replace_section(document: str, name: str, content: str) -> str:
    """Put ``content`` between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    before, rest = document.split(start, 1)
    _, after = rest.split(end, 1)
    return f"{before}{start}\n{content}{end}{after}"


def render_readme(document: str, routes: list[BaseRoute]) -> str:
    document = replace_section(document, "settings", render_settings_table())
    return replace_section(document, "compat", render_compat_table(routes))
