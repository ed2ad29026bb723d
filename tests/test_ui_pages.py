"""GraphiQL and Swagger UI load everything from our own origin, under a policy that says so.

Without a browser: the pages' HTML names only same-origin assets, every asset answers 200
with the right content type, the style sheets pull nothing from elsewhere, no script or style
is inline, and the Content-Security-Policy allows our origin only. ``scripts/check-ui-pages``
loads both pages in headless Chromium.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from identity.app import create_app
from identity.config import Settings
from identity.web.security_headers import API_POLICY, PAGE_POLICY
from identity.web.ui_pages import STATIC_DIRECTORY
from tests.conftest import open_client

REPO = Path(__file__).resolve().parent.parent
PAGES = {
    "graphiql": ("/graphql", {"accept": "text/html"}),
    "swagger-ui": ("/docs", {}),
    "oauth2-redirect": ("/docs/oauth2-redirect", {}),
}
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")


class PageParts(HTMLParser):
    """The URLs a page loads and whatever it would run or style inline."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if any(name == "style" or name.startswith("on") for name in attributes):
            self.inline.append(f"<{tag}> attribute {sorted(attributes)}")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script":
            self._in_script = True
            if attributes.get("src"):
                self.assets.append(str(attributes["src"]))
        if tag == "link" and attributes.get("href"):
            self.assets.append(str(attributes["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(f"<script>{data.strip()[:40]}")


def parse(html: str) -> PageParts:
    parts = PageParts()
    parts.feed(html)
    return parts


def same_origin(base: str, reference: str) -> bool:
    if reference.startswith("data:"):
        return True
    target, origin = urlsplit(urljoin(base, reference)), urlsplit(base)
    return (target.scheme, target.netloc) == (origin.scheme, origin.netloc)


@pytest.mark.parametrize("page", sorted(PAGES))
async def test_the_page_loads_only_same_origin_assets_and_each_answers(
    client: httpx.AsyncClient, page: str
) -> None:
    path, headers = PAGES[page]
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    parts = parse(response.text)

    assert parts.inline == []
    assert parts.assets, response.text
    page_url = str(response.url)
    for reference in parts.assets:
        assert same_origin(page_url, reference), reference
        if reference.startswith("data:"):
            continue
        asset = await client.get(urljoin(page_url, reference))
        assert asset.status_code == 200, reference
        expected = CONTENT_TYPES[Path(urlsplit(reference).path).suffix]
        assert asset.headers["content-type"].startswith(expected), (reference, asset.headers)
        assert asset.headers["x-content-type-options"] == "nosniff"
        if expected == "text/css":
            for inside in CSS_URL.findall(asset.text):
                assert same_origin(str(asset.url), inside), (reference, inside[:80])


@pytest.mark.parametrize("page", sorted(PAGES))
async def test_the_page_allows_only_our_origin(client: httpx.AsyncClient, page: str) -> None:
    path, headers = PAGES[page]
    response = await client.get(path, headers=headers)

    policy = response.headers["content-security-policy"]
    assert policy == PAGE_POLICY
    directives = dict(
        (name, sources)
        for name, _, sources in (d.strip().partition(" ") for d in policy.split(";"))
    )
    assert directives["default-src"] == "'self'"
    assert "unsafe" not in policy
    assert "http" not in policy
    assert "*" not in policy


async def test_in_production_the_docs_page_may_not_be_framed(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(
        make_settings(env="production", secret_key="p" * 40, public_url="https://auth.example.com")
    )
    async for client in open_client(app):
        docs = await client.get("/docs")
        graphiql_asset = await client.get("/static/vendor/graphiql/graphiql.min.js")
        swagger_asset = await client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")

    assert docs.status_code == 200
    assert docs.headers["content-security-policy"] == f"{PAGE_POLICY}; frame-ancestors 'none'"
    assert swagger_asset.status_code == 200
    assert graphiql_asset.status_code == 200  # the same static folder; GraphiQL itself is off


async def test_without_public_docs_or_graphiql_no_page_and_no_asset_is_served(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(
        make_settings(
            env="production",
            secret_key="p" * 40,
            public_url="https://auth.example.com",
            public_docs=False,
        )
    )
    async for client in open_client(app):
        answers = [
            await client.get("/docs"),
            await client.get("/docs/oauth2-redirect"),
            await client.get("/openapi.json"),
            await client.get("/static/swagger-ui.js"),
            await client.get("/graphql", headers={"accept": "text/html"}),
        ]

    for response in answers:
        assert response.status_code in (404, 400), (response.request.url, response.status_code)
        assert response.headers["content-security-policy"] == API_POLICY


async def test_assets_may_be_cached_and_json_answers_load_nothing(
    client: httpx.AsyncClient,
) -> None:
    asset = await client.get("/static/graphiql.js")
    health = await client.get("/health")

    assert "cache-control" not in asset.headers
    assert asset.headers["etag"]
    assert health.headers["content-security-policy"] == API_POLICY
    assert health.headers["cache-control"] == "no-store"


def test_the_package_data_ships_every_static_file() -> None:
    """A file under identity/static that the wheel's globs miss would 404 once installed."""
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["identity"]
    package = STATIC_DIRECTORY.parent
    shipped = {path for pattern in patterns for path in package.glob(pattern) if path.is_file()}
    files = {path for path in STATIC_DIRECTORY.rglob("*") if path.is_file()}

    assert files - shipped == set()
    assert {"LICENSE"} <= {
        path.name for path in (STATIC_DIRECTORY / "vendor" / "graphiql").iterdir()
    }
    for vendored in (STATIC_DIRECTORY / "vendor").iterdir():
        assert (vendored / "LICENSE").is_file(), vendored
