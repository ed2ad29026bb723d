"""Field rules every surface shares: length, control characters, https URLs.

REST validates bodies with pydantic, GraphQL does not; both call these rules through the
services, so a value refused on one surface is refused on the other.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from identity.errors import ValidationFailed

MAX_URL_LENGTH = 2048

# Cc (C0/C1 controls, tab and newlines included), Cf (format: bidi overrides, zero-width),
# Cs (lone surrogates, which PostgreSQL cannot store), line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def has_control_characters(value: str) -> bool:
    """Whether ``value`` holds a character no name should: controls, format marks, surrogates."""
    return any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value)


def clean_text(value: str | None, *, field: str, max_length: int) -> str | None:
    """``value`` unchanged if it fits ``max_length`` code points and holds no control character.

    Refuses rather than strips: a silently changed name is not what the user typed.
    Raises ValidationFailed naming ``field`` (details ``reason``: ``TOO_LONG`` or
    ``CONTROL_CHARACTERS``).
    """
    if value is None:
        return None
    _check_text(value, field=field, max_length=max_length)
    return value


def _check_text(value: str, *, field: str, max_length: int) -> None:
    if len(value) > max_length:
        raise ValidationFailed(
            f"{field} must be at most {max_length} characters",
            field=field,
            details={"reason": "TOO_LONG", "max_length": max_length},
        )
    if has_control_characters(value):
        raise ValidationFailed(
            f"{field} must not contain control or invisible formatting characters",
            field=field,
            details={"reason": "CONTROL_CHARACTERS"},
        )


def optional_text(value: str | None, *, field: str, max_length: int) -> str | None:
    """Free text as a form sends it: trimmed, empty is None, then ``clean_text``'s rules."""
    value = (value or "").strip() or None
    return clean_text(value, field=field, max_length=max_length)


def search_term(value: str | None) -> str | None:
    """What a listing's ``search`` looks for: trimmed and lower-cased; None when empty."""
    return (value or "").strip().lower() or None


def https_url(value: str | None, *, field: str, max_length: int = MAX_URL_LENGTH) -> str | None:
    """An absolute ``https`` URL with a host, at most ``max_length`` characters; None stays None.

    Raises ValidationFailed (details ``reason``: ``TOO_LONG``, ``CONTROL_CHARACTERS`` or
    ``NOT_HTTPS_URL``).
    """
    if value is None:
        return None
    _check_text(value, field=field, max_length=max_length)
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except ValueError:
        hostname = None
        parts = None
    if (
        parts is None
        or parts.scheme.lower() != "https"
        or not hostname
        or any(char.isspace() for char in value)
    ):
        raise ValidationFailed(
            f"{field} must be an https URL",
            field=field,
            details={"reason": "NOT_HTTPS_URL"},
        )
    return value


def identifier_key(value: str) -> str:
    """What an email or username is compared by: NFKC case folding (Unicode's NFKC_Casefold).

    Fullwidth letters, the long s, ligatures, case and composed versus combining accents all
    fold to one key, so identifiers that look the same cannot name two accounts. The key is
    what ``users.email_key`` and ``users.username_key`` hold (unique); the address itself is
    stored as given so mail stays deliverable.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value.strip()).casefold())
