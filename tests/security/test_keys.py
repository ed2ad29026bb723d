from __future__ import annotations

import base64
import re

import pytest

from identity.errors import ConfigurationError
from identity.security.keys import (
    ALGORITHM,
    decrypt_private_key,
    encrypt_private_key,
    generate_signing_key,
    jwks,
)

SECRET = "a-long-random-secret-key-for-tests-0123456789"
MESSAGE = "IDENTITY_SECRET_KEY cannot decrypt the stored signing keys"


def test_a_generated_key_is_an_es256_p256_key_pair() -> None:
    key = generate_signing_key()

    assert key.algorithm == ALGORITHM == "ES256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key.kid)  # RFC 7638 SHA-256 thumbprint
    assert key.public_jwk["kid"] == key.kid
    assert key.public_jwk["alg"] == "ES256"
    assert key.public_jwk["use"] == "sig"
    assert key.public_jwk["kty"] == "EC"
    assert key.public_jwk["crv"] == "P-256"
    assert "d" not in key.public_jwk
    assert key.private_jwk["d"]
    assert {k: v for k, v in key.private_jwk.items() if k != "d"} == key.public_jwk


def test_generated_keys_differ() -> None:
    first, second = generate_signing_key(), generate_signing_key()

    assert first.kid != second.kid
    assert first.private_jwk["d"] != second.private_jwk["d"]


def test_a_private_key_round_trips_through_encryption() -> None:
    # Given a private key encrypted with the secret
    key = generate_signing_key()
    blob = encrypt_private_key(key.private_jwk, SECRET)

    # Then the blob is versioned ascii that hides the key, and decrypts to the same JWK
    assert blob.startswith("v1.")
    assert blob.isascii()
    assert key.private_jwk["d"] not in blob
    assert decrypt_private_key(blob, SECRET) == key.private_jwk


def test_encryption_uses_a_fresh_nonce() -> None:
    key = generate_signing_key()

    assert encrypt_private_key(key.private_jwk, SECRET) != encrypt_private_key(
        key.private_jwk, SECRET
    )


def test_the_wrong_secret_cannot_decrypt() -> None:
    blob = encrypt_private_key(generate_signing_key().private_jwk, SECRET)

    with pytest.raises(ConfigurationError) as caught:
        decrypt_private_key(blob, SECRET + "x")

    assert caught.value.problems == [MESSAGE]


def _flip_a_byte(blob: str, index: int) -> str:
    version, _, body = blob.partition(".")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[index] ^= 0x01
    return f"{version}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


@pytest.mark.parametrize("index", [0, 20, -1])
def test_a_tampered_blob_cannot_be_decrypted(index: int) -> None:
    blob = encrypt_private_key(generate_signing_key().private_jwk, SECRET)

    with pytest.raises(ConfigurationError) as caught:
        decrypt_private_key(_flip_a_byte(blob, index), SECRET)

    assert caught.value.problems == [MESSAGE]


@pytest.mark.parametrize(
    "blob", ["", "v1.", "v1.AAAA", "v2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "v1.!!!!", "garbage"]
)
def test_a_malformed_blob_is_a_configuration_error(blob: str) -> None:
    with pytest.raises(ConfigurationError):
        decrypt_private_key(blob, SECRET)


def test_another_version_prefix_is_refused() -> None:
    blob = encrypt_private_key(generate_signing_key().private_jwk, SECRET)

    with pytest.raises(ConfigurationError):
        decrypt_private_key("v2" + blob[2:], SECRET)


def test_the_jwks_lists_public_keys_only() -> None:
    first, second = generate_signing_key(), generate_signing_key()

    document = jwks([first.public_jwk, second.private_jwk])

    assert document == {"keys": [first.public_jwk, second.public_jwk]}
