"""What a request tells every adapter: where it came from and which bearer token it carries."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from identity.observability.context import current_request_id
from identity.principal import RequestMeta

# The widths of the sessions and audit_events columns these values are stored in.
MAX_USER_AGENT_LENGTH = 1000
MAX_IP_ADDRESS_LENGTH = 64


def request_meta(connection: HTTPConnection) -> RequestMeta:
    """Clipped to fit: a long header must not fail a request, and its audit row, in the DB."""
    user_agent = connection.headers.get("user-agent")
    return RequestMeta(
        ip_address=connection.client.host[:MAX_IP_ADDRESS_LENGTH] if connection.client else None,
        user_agent=user_agent[:MAX_USER_AGENT_LENGTH] if user_agent else None,
        request_id=current_request_id(),
    )


def bearer_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
