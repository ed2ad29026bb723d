"""JWT pieces: base64url, and a compact JWS taken apart without checking it."""

from __future__ import annotations

import base64
import json
from typing import Any, cast


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Header and payload of a compact JWS, decoded without checking it, and its signature."""
    header, payload, signature = token.split(".")

    def decode(segment: str) -> dict[str, Any]:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return cast(dict[str, Any], json.loads(raw))

    return decode(header), decode(payload), signature
