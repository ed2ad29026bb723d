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
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from identity.config import Settings
from identity.runtime import Runtime
from identity.web.ui_pages import graphiql_page
from schema import build_schema
from schema.context import Context

STREAMING = ("multipart", "event-stream")
NOT_AN_OBJECT = "The GraphQL request must be a JSON object (or a list of them)."
NOT_UNICODE = "The GraphQL operation's `operationName` must be Unicode text (no lone surrogate)."


def _encodable(text: str) -> bool:
    """False for a string holding a lone surrogate (JSON's ``\\ud800``), which no answer
    can quote: Strawberry's "Unknown operation named ..." then failed to encode (a 500)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class GraphQLApp(GraphQL[Context, None]):
    async def run(  # type: ignore[override]
        self,
        request: Request | WebSocket,
        context: Context = UNSET,
        root_value: None = UNSET,
    ) -> Response | WebSocket:
        """The common request, a JSON POST answered as JSON, through the steps of
        Strawberry's ``run`` it can reach (same order, same refusals), without the checks
        for answers it cannot get: among them a runtime protocol check of the result
        (``SubscriptionExecutionResult``), ~4 % of GraphQL ``me``. Anything else (GET,
        GraphiQL, other content types, streamed answers, WebSockets) is Strawberry's."""
        if not self._plain_post(request):
            return await super().run(request, context, root_value)
        request = cast(Request, request)
        if root_value is UNSET:
            root_value = None  # the root value: this view keeps Strawberry's, None
        request_adapter = self.request_adapter_class(request)
        sub_response = await self.get_sub_response(request)
        if context is UNSET:
            context = await self.get_context(request, response=sub_response)
        try:
            request_data = await self._read_json(request_adapter, streamed=False)
        except json.JSONDecodeError as e:
            raise HTTPException(400, "Unable to parse request body as JSON") from e
        except KeyError as e:
            raise HTTPException(400, "File(s) missing in form data") from e
        if isinstance(request_data, list) or self._get_stream_transport(request_data.protocol):
            result = await self.execute_operation(
                request=request,
                request_adapter=request_adapter,
                request_data=request_data,
                context=context,
                root_value=root_value,
                sub_response=sub_response,
            )
        else:  # execute_operation's path for one operation, without its batch and stream checks
            result = await self.execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            )
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]
        if isinstance(result, list):
            response_data = []
            for execution_result in result:
                processed = await self.process_result(request=request, result=execution_result)
                if execution_result.errors:
                    self._handle_errors(execution_result.errors, processed)
                response_data.append(processed)
        elif isinstance(result, ExecutionResult):
            response_data = await self.process_result(request=request, result=result)
            if result.errors:
                self._handle_errors(result.errors, response_data)
        else:  # streamed and incremental answers are excluded by _plain_post
            raise RuntimeError(f"A plain GraphQL POST got a {type(result).__name__}")
        return self.create_response(response_data=response_data, sub_response=sub_response)

    def _plain_post(self, request: Request | WebSocket) -> bool:
        """A JSON POST over HTTP that asks for no streamed answer, on a schema without
        incremental delivery: its answer is an ``ExecutionResult`` (or a list of them)."""
        scope = request.scope
        if scope["type"] != "http" or scope["method"] != "POST":
            return False
        if self.schema.config.enable_experimental_incremental_execution:
            return False
        content_type = accept = None
        for name, value in scope["headers"]:  # the first of each, as Starlette's Headers
            if name == b"content-type" and content_type is None:
                content_type = value
            elif name == b"accept" and accept is None:
                accept = value
        if content_type is None:
            return False
        mime = content_type.decode("latin-1").partition(";")[0].strip().lower()
        asked = (accept or b"").decode("latin-1").lower()
        return mime == "application/json" and not any(kind in asked for kind in STREAMING)

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
        accept = request.headers.get("accept", "").lower()
        return await self._read_json(request, streamed=any(kind in accept for kind in STREAMING))

    async def _read_json(
        self, request: AsyncHTTPRequestAdapter, *, streamed: bool
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """A JSON POST's body (``parse_http_body``); ``streamed``: it asks for a streamed
        answer (Strawberry reads those)."""
        try:
            data = self.parse_json(await request.get_body())
        except ValueError as e:  # not UTF-8, an integer past Python's digit limit (G2, G3)
            raise HTTPException(400, "Unable to parse request body as JSON") from e
        if not isinstance(data, dict | list):
            raise HTTPException(400, NOT_AN_OBJECT)  # Strawberry crashes on these
        if isinstance(data, list) or streamed:
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
        operation_name = data.get("operationName")
        if isinstance(operation_name, str) and not _encodable(operation_name):
            raise HTTPException(400, NOT_UNICODE)  # Strawberry's refusal would quote it (G1)
        return GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=operation_name,
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
