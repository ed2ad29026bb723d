"""What a request tells every adapter: where it came from and which bearer token it carries."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from identity.observability.context import current_request_id
from identity.principal import RequestMeta


def request_meta(connection: HTTPConnection) -> RequestMeta:
    return RequestMeta(
        ip_address=connection.client.host if connection.client else None,
        user_agent=connection.headers.get("user-agent"),
        request_id=current_request_id(),
    )


def bearer_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
