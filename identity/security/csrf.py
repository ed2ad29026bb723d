"""Double-submit CSRF: the cookie's value must come back in a header."""

from __future__ import annotations

from identity.security.secrets import new_token, tokens_equal


def new_csrf_token() -> str:
    return new_token()


def csrf_matches(cookie_value: str | None, header_value: str | None) -> bool:
    if not cookie_value or not header_value:
        return False
    return tokens_equal(cookie_value, header_value)
