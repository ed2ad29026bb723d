"""ES256 signing keys: generation, encryption at rest, and the public JWKS."""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.jwk import ECKey

from identity.errors import ConfigurationError

ALGORITHM = "ES256"

_BLOB_VERSION = "v1"
_HKDF_INFO = b"identity signing keys v1"
_NONCE_BYTES = 12
# Members that make a JWK private (EC "d", RSA CRT values, symmetric "k"): never published.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


@dataclass(frozen=True, slots=True)
class GeneratedKey:
    kid: str
    algorithm: str
    private_jwk: dict[str, Any]
    public_jwk: dict[str, Any]


def generate_signing_key() -> GeneratedKey:
    key = ECKey.generate_key("P-256")
    kid = key.thumbprint()  # RFC 7638: url-safe, 256 bits, unique per key
    params = {"kid": kid, "alg": ALGORITHM, "use": "sig"}
    return GeneratedKey(
        kid=kid,
        algorithm=ALGORITHM,
        private_jwk=dict(key.as_dict(private=True, **params)),
        public_jwk=dict(key.as_dict(private=False, **params)),
    )


def _aead(secret_key: str) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO)
    return AESGCM(hkdf.derive(secret_key.encode("utf-8")))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encrypt_private_key(private_jwk: dict[str, Any], secret_key: str) -> str:
    """AES-256-GCM under a key derived from the secret; the version is bound as associated data."""
    nonce = os.urandom(_NONCE_BYTES)
    plaintext = json.dumps(private_jwk, separators=(",", ":"), sort_keys=True).encode("utf-8")
    ciphertext = _aead(secret_key).encrypt(nonce, plaintext, _BLOB_VERSION.encode("ascii"))
    return f"{_BLOB_VERSION}.{_b64encode(nonce + ciphertext)}"


def decrypt_private_key(blob: str, secret_key: str) -> dict[str, Any]:
    try:
        version, _, body = blob.partition(".")
        if version != _BLOB_VERSION:
            raise ValueError("unknown blob version")
        raw = _b64decode(body)
        if len(raw) <= _NONCE_BYTES:
            raise ValueError("blob too short")
        plaintext = _aead(secret_key).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _BLOB_VERSION.encode("ascii")
        )
        jwk = json.loads(plaintext)
        if not isinstance(jwk, dict):
            raise ValueError("not a JWK object")
    except (InvalidTag, ValueError, binascii.Error, UnicodeError) as error:
        raise ConfigurationError(
            ["IDENTITY_SECRET_KEY cannot decrypt the stored signing keys"]
        ) from error
    return jwk


def jwks(public_jwks: list[dict[str, Any]]) -> dict[str, Any]:
    """The JWKS document; private members are dropped even if a caller passes a private JWK."""
    return {
        "keys": [
            {name: value for name, value in jwk.items() if name not in _PRIVATE_MEMBERS}
            for jwk in public_jwks
        ]
    }
