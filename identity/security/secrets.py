"""Opaque random tokens, stored only as their SHA-256 digest."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def _utf8(value: str) -> bytes:
    # surrogatepass: a lone surrogate smuggled in through JSON must not become a 500.
    return value.encode("utf-8", "surrogatepass")


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    return hashlib.sha256(_utf8(token)).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(_utf8(a), _utf8(b))
