"""The GraphQL endpoint: GraphiQL outside production, queries over GET, mutations over POST.

GraphiQL is our page (``identity.web.ui_pages``), not Strawberry's: its assets come from the
package, not from a CDN, and it has no inline script.
"""

from __future__ import annotations

import json
from typing import cast

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from pydantic_core import PydanticSerializationError, to_json
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData

from identity.config import Settings
from identity.runtime import Runtime
from identity.web.ui_pages import graphiql_page
from schema import build_schema
from schema.context import Context

STREAMING = ("multipart", "event-stream")
NOT_AN_OBJECT = "The GraphQL request must be a JSON object (or a list of them)."


class GraphQLApp(GraphQL[Context, None]):
    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The common request, a JSON POST answered as JSON, read without Strawberry's
        generic header parsing (an email ``Message`` per request, a tenth of GraphQL
        ``me``), with Strawberry's refusals; a JSON body that is neither an object nor a
        list is refused (Strawberry's reader crashes on it). Anything else (GET, other
        content types, streamed answers, a batch) is read by Strawberry."""
        mime = (request.content_type or "").partition(";")[0].strip().lower()
        if request.method != "POST" or mime != "application/json":
            return await super().parse_http_body(request)
        data = self.parse_json(await request.get_body())
        if not isinstance(data, dict | list):
            raise HTTPException(400, NOT_AN_OBJECT)  # Strawberry crashes on these
        accept = request.headers.get("accept", "").lower()
        if isinstance(data, list) or any(kind in accept for kind in STREAMING):
            return await super().parse_http_body(request)
        query, variables, extensions = (
            data.get("query"),
            data.get("variables"),
            data.get("extensions"),
        )
        if not isinstance(query, str | None):
            raise HTTPException(
                400, "The GraphQL operation's `query` must be a string or null, if provided."
            )
        if not isinstance(variables, dict | None):
            raise HTTPException(
                400, "The GraphQL operation's `variables` must be an object or null, if provided."
            )
        if not isinstance(extensions, dict | None):
            raise HTTPException(
                400, "The GraphQL operation's `extensions` must be an object or null, if provided."
            )
        return GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=data.get("operationName"),
            extensions=extensions,
        )

    def encode_json(self, data: object) -> bytes:
        """pydantic-core's encoder: a 100-user page encodes several times faster than with
        the standard library's, which Strawberry uses by default. It refuses what the
        standard one writes (a lone surrogate a client sent, nesting past ~255 levels), so
        those answers fall back to it."""
        try:
            return to_json(data)
        except PydanticSerializationError:
            return json.dumps(data, separators=(",", ":")).encode()

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_page(request)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        runtime = cast(Runtime, request.app.state.runtime)
        return Context(request=request, response=response, runtime=runtime)


def build_graphql_app(settings: Settings) -> GraphQLApp:
    return GraphQLApp(
        build_schema(settings),
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=True,
    )
