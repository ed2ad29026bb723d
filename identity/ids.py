"""Identifiers: UUIDs for rows, prefixed random ids for requests."""

from __future__ import annotations

import re
import secrets
import uuid

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def new_request_id() -> str:
    return f"req_{secrets.token_hex(12)}"


def sane_request_id(candidate: str | None) -> str | None:
    """The caller's request id when it is safe to echo into headers and logs."""
    if candidate and _SANE_REQUEST_ID.match(candidate):
        return candidate
    return None
