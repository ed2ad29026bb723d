"""The service's front page (seed 004) and its Prometheus metrics (seed 003)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from identity import SERVICE_NAME, __version__
from identity.rest.deps import RuntimeDep
from identity.rest.operator import require_operator
from identity.rest.responses.service import RootOut
from identity.rest.routing import row


async def root(runtime: RuntimeDep) -> dict[str, Any]:
    links = {
        "graphql": "/graphql",
        "docs": "/docs",
        "openapi": "/openapi.json",
        "health": "/health",
        "health_detailed": "/health/detailed",
        "metrics": "/metrics",
    }
    if not runtime.settings.public_docs:
        del links["docs"], links["openapi"]
    return {
        "service": SERVICE_NAME,
        "name": SERVICE_NAME,
        "description": "A GraphQL identity API, with REST compatibility routes.",
        "version": __version__,
        "environment": runtime.settings.env.value,
        "links": links,
    }


async def metrics(runtime: RuntimeDep) -> Response:
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)


ROUTES = (
    row("GET", "/", root, "Service name, version and links", seeds="004", response=RootOut),
    row(
        "GET",
        "/metrics",
        metrics,
        "Prometheus metrics",
        seeds="003",
        description="Needs `Authorization: Bearer <IDENTITY_METRICS_TOKEN>` when that is set; "
        "in production without it, 404.",
        response_class=Response,
        responses={
            "200": {
                "description": "The Prometheus text exposition format",
                "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            }
        },
        dependencies=[Depends(require_operator)],
    ),
)
