"""The GraphQL endpoint: GraphiQL outside production, queries over GET, mutations over POST.

GraphiQL is our page (``identity.web.ui_pages``), not Strawberry's: its assets come from the
package, not from a CDN, and it has no inline script.
"""

from __future__ import annotations

import json
from typing import cast

from pydantic_core import PydanticSerializationError, to_json
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from identity.config import Settings
from identity.runtime import Runtime
from identity.web.ui_pages import graphiql_page
from schema import build_schema
from schema.context import Context


class GraphQLApp(GraphQL[Context, None]):
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
