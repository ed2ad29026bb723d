"""Symmetric encryption of text kept at rest (outbox mail bodies), under the service secret.

The key is derived from ``IDENTITY_SECRET_KEY`` with HKDF-SHA256 exactly as the signing keys'
is (``identity.security.keys``), under its own ``info``, so each use has an independent key.
A sealed value is ``sealed:v1:`` and base64url(nonce + AES-256-GCM ciphertext), the version
bound as associated data. Text without the prefix is returned as it is by ``open``: rows
written before sealing existed still go out.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEALED_PREFIX = "sealed:v1:"
_ASSOCIATED_DATA = SEALED_PREFIX.encode("ascii")
_NONCE_BYTES = 12


class SealBroken(Exception):
    """A sealed value that this secret cannot open (another secret, or altered)."""


def derive_aead(secret_key: str, info: bytes) -> AESGCM:
    """AES-256-GCM under HKDF-SHA256(secret, info): the derivation of the signing keys' key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    return AESGCM(hkdf.derive(secret_key.encode("utf-8")))


class Sealer:
    """Seals and opens text; the secret is read and the key derived on first use only.

    ``secret`` is a function so that building a database for migrations or reads never
    creates the local development secret file.
    """

    def __init__(self, secret: Callable[[], str], *, info: bytes) -> None:
        self._secret = secret
        self._info = info
        self._aead: AESGCM | None = None

    def _cipher(self) -> AESGCM:
        if self._aead is None:
            self._aead = derive_aead(self._secret(), self._info)
        return self._aead

    def seal(self, text: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._cipher().encrypt(
            nonce, text.encode("utf-8", "surrogatepass"), _ASSOCIATED_DATA
        )
        encoded = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return SEALED_PREFIX + encoded

    def open(self, text: str) -> str:
        """The plain text; text that was never sealed comes back unchanged."""
        if not text.startswith(SEALED_PREFIX):
            return text
        try:
            raw = base64.urlsafe_b64decode(text[len(SEALED_PREFIX) :])
            if len(raw) <= _NONCE_BYTES:
                raise ValueError("sealed value too short")
            plain = self._cipher().decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _ASSOCIATED_DATA)
            return plain.decode("utf-8", "surrogatepass")
        except (InvalidTag, ValueError, binascii.Error) as error:
            raise SealBroken("the service secret cannot open this sealed value") from error
