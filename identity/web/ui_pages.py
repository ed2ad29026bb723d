"""The developer pages, GraphiQL and Swagger UI, with every asset served from the package.

Strawberry's GraphiQL page and FastAPI's Swagger UI page load their scripts and styles from
public CDNs and start the tool with an inline script, so offline, or under a strict
Content-Security-Policy, both are blank. These pages load only ``/static/...`` (the files of
``identity/static``, see its README) and no inline script or style, so the policy that
``identity.web.security_headers`` sends on them can allow our own origin only.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC_PATH = "/static"
STATIC_DIRECTORY = Path(__file__).resolve().parent.parent / "static"
VENDOR = f"{STATIC_PATH}/vendor"


def _root_path(request: Request) -> str:
    """The prefix a proxy mounted the app under (empty when none), as FastAPI's pages use it."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def graphiql_page(request: Request) -> HTMLResponse:
    """The page ``GET /graphql`` answers a browser with, outside production."""
    root = escape(_root_path(request), quote=True)
    return HTMLResponse(f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>identity - GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{root}{VENDOR}/graphiql/graphiql.min.css">
<link rel="stylesheet" href="{root}{STATIC_PATH}/graphiql.css">
</head>
<body>
<div id="graphiql" class="graphiql-container">Loading...</div>
<script src="{root}{VENDOR}/react/react.production.min.js"></script>
<script src="{root}{VENDOR}/react-dom/react-dom.production.min.js"></script>
<script src="{root}{VENDOR}/graphiql/graphiql.min.js"></script>
<script src="{root}{STATIC_PATH}/graphiql.js"></script>
</body>
</html>
""")


def swagger_ui_page(
    request: Request, *, title: str, openapi_url: str, oauth2_redirect_url: str
) -> HTMLResponse:
    """FastAPI's Swagger UI page, with the assets and the start-up script from the package."""
    root = _root_path(request)
    asset = escape(root, quote=True)
    return HTMLResponse(f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} - Swagger UI</title>
<link rel="stylesheet" href="{asset}{VENDOR}/swagger-ui/swagger-ui.css">
<link rel="icon" type="image/png" href="{asset}{VENDOR}/swagger-ui/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(root + openapi_url, quote=True)}"
 data-oauth2-redirect-url="{escape(root + oauth2_redirect_url, quote=True)}"></div>
<script src="{asset}{VENDOR}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="{asset}{STATIC_PATH}/swagger-ui.js"></script>
</body>
</html>
""")


def oauth2_redirect_page(request: Request) -> HTMLResponse:
    """Swagger UI's OAuth2 redirect page (its script as a file, as swagger-ui-dist ships it)."""
    root = escape(_root_path(request), quote=True)
    return HTMLResponse(f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Swagger UI: OAuth2 Redirect</title></head>
<body>
<script src="{root}{VENDOR}/swagger-ui/oauth2-redirect.js"></script>
</body>
</html>
""")


def routes(
    *, title: str, docs_path: str | None, openapi_path: str, graphiql: bool
) -> list[BaseRoute]:
    """The Swagger UI routes (when ``docs_path`` is set) and the assets of the pages served.

    GraphiQL itself is the GraphQL route's answer (``schema.app``); ``graphiql`` says whether
    that route serves it, and so whether its assets are needed.
    """
    served: list[BaseRoute] = []
    if docs_path is not None:
        redirect_path = f"{docs_path}/oauth2-redirect"

        async def swagger_ui(request: Request) -> HTMLResponse:
            return swagger_ui_page(
                request, title=title, openapi_url=openapi_path, oauth2_redirect_url=redirect_path
            )

        async def oauth2_redirect(request: Request) -> HTMLResponse:
            return oauth2_redirect_page(request)

        served += [
            Route(docs_path, swagger_ui, methods=["GET"], include_in_schema=False),
            Route(redirect_path, oauth2_redirect, methods=["GET"], include_in_schema=False),
        ]
    if served or graphiql:
        served.append(Mount(STATIC_PATH, StaticFiles(directory=STATIC_DIRECTORY), name="static"))
    return served
