"""A software WebAuthn authenticator: what a browser and a security key answer, byte for byte.

It holds ES256 keys (P-256, ``cryptography``), one per credential, and builds the JSON a
browser's ``PublicKeyCredential.toJSON()`` gives: for registration a ``none`` attestation
object (CBOR, ``cbor2``) with attested credential data and the COSE public key; for
authentication the authenticator data and an ECDSA signature over it and the hash of
``clientDataJSON``. Each part can be bent (origin, relying-party id, counter, flags, type)
so tests can present what an attacker or a broken client would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_BE = 0x08
FLAG_BS = 0x10
FLAG_AT = 0x40
AAGUID = bytes(16)
DEFAULT_ORIGIN = "http://localhost:8080"
DEFAULT_RP_ID = "localhost"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cose_key(public: ec.EllipticCurvePublicKey) -> bytes:
    """The COSE_Key of an ES256 public key: kty EC2 (2), alg -7, crv P-256 (1), x, y."""
    numbers = public.public_numbers()
    return cbor2.dumps(
        {
            1: 2,
            3: -7,
            -1: 1,
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
    )


@dataclass
class Credential:
    """One key pair the authenticator made, with its counter and the user it belongs to."""

    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    @property
    def id(self) -> str:
        return b64url(self.credential_id)


@dataclass
class SoftAuthenticator:
    """``counting``: the counter advances by one per assertion (False: always 0, as many
    passkeys answer). ``backed_up``: a synced passkey (BE and BS flags)."""

    origin: str = DEFAULT_ORIGIN
    counting: bool = True
    backed_up: bool = False
    credentials: list[Credential] = field(default_factory=list)

    def _flags(self, *, user_verified: bool, attested: bool = False) -> int:
        flags = FLAG_UP | (FLAG_UV if user_verified else 0)
        if self.backed_up:
            flags |= FLAG_BE | FLAG_BS
        return flags | (FLAG_AT if attested else 0)

    def _client_data(
        self, kind: str, challenge: str, *, origin: str | None, cross_origin: bool = False
    ) -> bytes:
        data = {
            "type": kind,
            "challenge": challenge,
            "origin": origin or self.origin,
            "crossOrigin": cross_origin,
        }
        return json.dumps(data, separators=(",", ":")).encode()

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        resident_key: bool = True,
        user_verified: bool = True,
        kind: str = "webauthn.create",
    ) -> tuple[dict[str, Any], Credential]:
        """``navigator.credentials.create(options)``: the response JSON and the credential."""
        rp = rp_id or options["rp"]["id"]
        excluded = {each["id"] for each in options.get("excludeCredentials", [])}
        private_key = ec.generate_private_key(ec.SECP256R1())
        credential = Credential(
            credential_id=os.urandom(32),
            private_key=private_key,
            rp_id=rp,
            user_handle=from_b64url(options["user"]["id"]),
        )
        if any(each.id in excluded for each in self.credentials if each.rp_id == rp):
            raise InvalidStateError("an excluded credential lives on this authenticator")
        attested = (
            AAGUID
            + struct.pack(">H", len(credential.credential_id))
            + credential.credential_id
            + cose_key(private_key.public_key())
        )
        auth_data = (
            hashlib.sha256(rp.encode()).digest()
            + bytes([self._flags(user_verified=user_verified, attested=True)])
            + struct.pack(">I", credential.sign_count)
            + attested
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data(kind, options["challenge"], origin=origin)
        self.credentials.append(credential)
        response = {
            "id": credential.id,
            "rawId": credential.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["usb", "internal"],
            },
            "clientExtensionResults": {"credProps": {"rk": resident_key}},
            "authenticatorAttachment": "cross-platform",
        }
        return response, credential

    def get(
        self,
        options: dict[str, Any],
        *,
        credential: Credential | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        user_verified: bool = True,
        sign_count: int | None = None,
        kind: str = "webauthn.get",
        user_handle: bytes | None = None,
    ) -> dict[str, Any]:
        """``navigator.credentials.get(options)``: an assertion by ``credential`` (default:
        the first allowed one, else the first this authenticator holds)."""
        chosen = credential or self._allowed(options)
        if sign_count is not None:
            chosen.sign_count = sign_count
        elif self.counting:
            chosen.sign_count += 1
        rp = rp_id or options.get("rpId") or chosen.rp_id
        auth_data = (
            hashlib.sha256(rp.encode()).digest()
            + bytes([self._flags(user_verified=user_verified)])
            + struct.pack(">I", chosen.sign_count)
        )
        client_data = self._client_data(kind, options["challenge"], origin=origin)
        signature = chosen.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": chosen.id,
            "rawId": chosen.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(user_handle or chosen.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "cross-platform",
        }

    def _allowed(self, options: dict[str, Any]) -> Credential:
        allowed = {each["id"] for each in options.get("allowCredentials", [])}
        for each in self.credentials:
            if not allowed or each.id in allowed:
                return each
        raise NotAllowedError("no credential of this authenticator is allowed")


class InvalidStateError(Exception):
    """What a browser raises when ``excludeCredentials`` names a credential it holds."""


class NotAllowedError(Exception):
    """What a browser raises when no credential of the authenticator may answer."""
