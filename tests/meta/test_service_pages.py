"""The front page, OpenAPI and Swagger UI (seed 004), and Prometheus metrics (seed 003)."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate


async def test_root_names_the_service_and_links(client: httpx.AsyncClient) -> None:
    response = await client.get("/")

    body = response.json()
    assert body["service"] == "identity"
    assert body["version"]
    assert body["links"]["graphql"] == "/graphql"
    assert body["links"]["docs"] == "/docs"


async def test_openapi_document_is_valid_openapi_3(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")

    document = response.json()
    assert document["openapi"].startswith("3.")
    validate(document)
    assert "/health" in document["paths"]


async def test_swagger_ui_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")

    assert response.status_code == 200
    assert "swagger-ui" in response.text


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/health")
    await client.get("/no/such/thing")
    await client.post("/graphql", json={"query": "query Probe { __typename }"})

    text = (await client.get("/metrics")).text

    assert 'identity_http_requests_total{method="GET",route="/health",status="200"} 1.0' in text
    assert 'route="<unmatched>",status="404"' in text
    assert 'identity_http_requests_total{method="POST",route="/graphql",status="200"}' in text
    assert "identity_http_request_duration_seconds_bucket" in text
    assert (
        'identity_graphql_operations_total{operation="Probe",outcome="ok",type="query"} 1.0' in text
    )
    assert 'identity_db_pool_connections{state="active"}' in text
