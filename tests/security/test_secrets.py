from __future__ import annotations

import hashlib
import re

import pytest

from identity.security.csrf import csrf_matches, new_csrf_token
from identity.security.secrets import hash_token, new_token, tokens_equal

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def test_a_new_token_is_url_safe_with_256_bits() -> None:
    token = new_token()

    assert URL_SAFE.match(token)
    assert len(token) == 43  # 32 bytes, base64url without padding


def test_new_tokens_differ() -> None:
    assert len({new_token() for _ in range(100)}) == 100


def test_new_token_honours_the_size() -> None:
    assert len(new_token(16)) == 22


def test_a_token_is_stored_as_its_sha256_hex_digest() -> None:
    token = new_token()

    digest = hash_token(token)

    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert hash_token(token + "x") != digest


def test_tokens_equal_compares_exactly() -> None:
    assert tokens_equal("abc", "abc") is True
    assert tokens_equal("abc", "abd") is False
    assert tokens_equal("abc", "abcd") is False
    assert tokens_equal("é", "é") is True


def test_a_lone_surrogate_does_not_raise() -> None:
    assert tokens_equal("\ud800", "abc") is False
    assert len(hash_token("\ud800")) == 64


def test_a_csrf_token_matches_itself() -> None:
    token = new_csrf_token()

    assert URL_SAFE.match(token)
    assert csrf_matches(token, token) is True


@pytest.mark.parametrize(
    ("cookie", "header"),
    [
        (None, None),
        ("token", None),
        (None, "token"),
        ("", ""),
        ("token", ""),
        ("", "token"),
        ("token", "other"),
        ("token", "token "),
    ],
)
def test_csrf_requires_both_values_present_and_equal(
    cookie: str | None, header: str | None
) -> None:
    assert csrf_matches(cookie, header) is False
