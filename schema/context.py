"""The typed per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from identity.runtime import Runtime


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Response | WebSocket
    runtime: Runtime
