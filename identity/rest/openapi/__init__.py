"""The OpenAPI document as the server really answers, built from the routes themselves.

FastAPI's own document declares only the 2xx answer and a 422 shaped like its
``HTTPValidationError``, which this service never sends. Here every operation also gets:

- the error envelope of ``identity.rest.errors`` for each error status it can answer. The
  statuses come from what the route depends on and calls: a required caller (401, 403), path
  parameters (404: no such resource, or a value the path's converter refuses), parameters or a
  body (422, and 400/413 for a body), and every ``IdentityError`` subclass the endpoint, its
  dependencies and the service functions they call name in their code (found by walking the
  functions' referenced names, so a route that can raise ``Conflict`` declares 409, one that can
  raise ``TooManyAttempts`` 429, and so on);
- the security it takes: the bearer access token (required, or optional where a token only
  changes the answer), and the refresh cookie with its CSRF double submit (seed 001's cookie
  mode) on the refresh and logout routes;
- the rules the services apply that FastAPI cannot see (``email`` or ``username`` to log in);
- the ``X-Request-ID`` header every answer carries.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from identity.rest.openapi.bodies import (
    BODY_RULES,
    apply_property_rules,
    body_models,
    non_blank_text_pattern,
    plain_text_pattern,
)
from identity.rest.openapi.components import ERROR_SCHEMAS, REQUEST_ID_HEADER, SECURITY_SCHEMES
from identity.rest.openapi.facts import RouteFacts

__all__ = ["build_document", "install", "non_blank_text_pattern", "plain_text_pattern"]


def install(app: FastAPI) -> None:
    """Serve the document built here at the app's ``openapi_url`` (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(ERROR_SCHEMAS)
    components["securitySchemes"] = SECURITY_SCHEMES
    components["headers"] = {
        REQUEST_ID_HEADER: {
            "description": "The request's id: the one sent, if sane, or a new one.",
            "required": True,
            "schema": {"type": "string", "minLength": 1},
        }
    }
    for name, rule in BODY_RULES.items():
        if name in schemas:
            schemas[name] = {**schemas[name], **rule}
    for name in body_models(app):
        if name in schemas:
            apply_property_rules(name, schemas[name])
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        facts = RouteFacts(route)
        for method in route.methods or ():
            operation = document["paths"][route.path_format].get(method.lower())
            if operation is not None:
                facts.declare(operation)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document
