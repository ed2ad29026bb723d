"""Access tokens: ES256-signed JWTs of type at+jwt (RFC 9068)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ec import (
    ECDSA,
    SECP256R1,
    EllipticCurvePrivateKey,
)
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import ECKey

from identity.errors import TokenExpired, TokenInvalid
from identity.security.keys import ALGORITHM
from identity.security.secrets import new_token

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 (a media type, not a secret)

_REGISTERED_CLAIMS = frozenset({"iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp"})
# Tokens are issued and checked by this service's own clock: a few seconds cover the
# instants between signing and checking, nothing more.
LEEWAY_SECONDS = 5


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime
    expires_in: int


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return int(moment.timestamp())


def issue_access_token(
    *,
    private_jwk: dict[str, Any],
    kid: str,
    issuer: str,
    audience: str,
    subject: str,
    session_id: str,
    now: datetime,
    lifetime: timedelta,
    claims: Mapping[str, Any] | None = None,
) -> IssuedToken:
    extra = dict(claims or {})
    overridden = _REGISTERED_CLAIMS.intersection(extra)
    if overridden:
        raise ValueError(f"extra claims may not override {sorted(overridden)}")
    issued_at = _epoch(now)
    expires_at = _epoch(now + lifetime)
    jti = new_token(16)
    payload = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "sid": session_id,
        "jti": jti,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": expires_at,
        **extra,
    }
    header = {"alg": ALGORITHM, "kid": kid, "typ": ACCESS_TOKEN_TYPE}
    token = _signed_compact(header, payload, _private_key(kid, private_jwk))
    return IssuedToken(
        token=token,
        jti=jti,
        expires_at=datetime.fromtimestamp(expires_at, UTC),
        expires_in=expires_at - issued_at,
    )


def _segment(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _json_segment(value: dict[str, Any]) -> bytes:
    return _segment(orjson.dumps(value))


def _signed_compact(
    header: dict[str, Any], payload: dict[str, Any], key: EllipticCurvePrivateKey
) -> str:
    """The compact JWS (RFC 7515) of ``payload`` signed with ES256: the signature is R || S,
    32 bytes each (RFC 7518 section 3.4). Signing with the key directly costs half of what
    ``joserfc.jwt.encode`` does around the same signature; tokens are verified by joserfc."""
    signing_input = _json_segment(header) + b"." + _json_segment(payload)
    r, s = decode_dss_signature(key.sign(signing_input, ECDSA(SHA256())))
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return (signing_input + b"." + _segment(signature)).decode("ascii")


_private_keys: dict[str, tuple[dict[str, Any], EllipticCurvePrivateKey]] = {}


def _private_key(kid: str, private_jwk: dict[str, Any]) -> EllipticCurvePrivateKey:
    """The imported signing key: importing a JWK costs about what signing does, and the
    active key changes rarely. An entry serves only the very JWK it was imported from."""
    cached = _private_keys.get(kid)
    if cached is not None and cached[0] == private_jwk:
        return cached[1]
    key = ECKey.import_key(private_jwk).private_key
    if key is None or not isinstance(key.curve, SECP256R1):
        raise ValueError("the signing key is not a P-256 private key")
    if len(_private_keys) >= 8:
        _private_keys.clear()
    _private_keys[kid] = (dict(private_jwk), key)
    return key


# Our headers are ~100 characters; anything this long is not one of ours.
_MAX_HEADER_SEGMENT = 1024


def _unverified_header(token: str) -> dict[str, Any]:
    """The header of a compact JWS, unverified; ValueError for anything else (a header too
    long, or nested deep enough to exhaust ``json.loads``'s recursion, among them)."""
    segments = token.split(".")
    if len(segments) != 3:
        raise ValueError("not a compact JWS")
    encoded = segments[0]
    if len(encoded) > _MAX_HEADER_SEGMENT:
        raise ValueError("header too long")
    try:
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except RecursionError as error:
        raise ValueError("header nested too deeply") from error
    if not isinstance(header, dict):
        raise ValueError("header is not an object")
    return header


def token_kid(token: str) -> str | None:
    """The ``kid`` a token names, unverified: only to pick the key that will verify it."""
    try:
        kid = _unverified_header(token).get("kid")
    except (ValueError, UnicodeDecodeError):
        return None
    return kid if isinstance(kid, str) else None


def _public_key(header: dict[str, Any], public_jwks: Mapping[str, dict[str, Any]]) -> ECKey:
    """Refuse anything but alg ES256 / typ at+jwt / a known kid before touching a key."""
    if header.get("alg") != ALGORITHM or header.get("typ") != ACCESS_TOKEN_TYPE:
        raise TokenInvalid()
    kid = header.get("kid")
    if not isinstance(kid, str) or kid not in public_jwks:
        raise TokenInvalid()
    jwk = public_jwks[kid]
    if (
        jwk.get("kty") != "EC"
        or jwk.get("crv") != "P-256"
        or jwk.get("alg", ALGORITHM) != ALGORITHM
    ):
        raise TokenInvalid()
    x, y = jwk.get("x"), jwk.get("y")
    if not isinstance(x, str) or not isinstance(y, str):
        raise TokenInvalid()
    return _imported(kid, x, y)


@lru_cache(maxsize=64)
def _imported(kid: str, x: str, y: str) -> ECKey:
    """Importing a JWK costs as much as verifying; keys are few and immutable per kid."""
    return ECKey.import_key({"kty": "EC", "crv": "P-256", "kid": kid, "x": x, "y": y})


@dataclass(slots=True)
class _Verified:
    kid: str
    jwk: dict[str, Any]
    claims: dict[str, Any]
    window: tuple[tuple[str, str, int], int, int] | None = None
    """For the issuer, audience and leeway they were validated against: the instants (Unix
    seconds, from included, until excluded) between which the claims stay valid."""


class _VerifiedSignatures:
    """Tokens whose signature was already checked, keyed by the whole token.

    A client sends one access token many times during its life; checking its ES256
    signature once is enough, and so is validating its claims once: what changes with time
    (``exp``, ``nbf``, ``iat``) is kept as a window, checked on every request, and outside
    it the claims are validated in full again (which answers the refusal). An entry is used
    only while the very key that verified it is still published; the session is checked
    on every request by the caller.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[str, _Verified] = OrderedDict()

    def get(self, token: str, public_jwks: Mapping[str, dict[str, Any]]) -> _Verified | None:
        entry = self._entries.get(token)
        if entry is None or public_jwks.get(entry.kid) != entry.jwk:
            return None
        self._entries.move_to_end(token)
        return entry

    def put(self, token: str, entry: _Verified) -> None:
        self._entries[token] = entry
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)


_verified = _VerifiedSignatures(size=8192)


def _signed(token: str, public_jwks: Mapping[str, dict[str, Any]]) -> _Verified:
    known = _verified.get(token, public_jwks)
    if known is not None:
        return known
    header = _unverified_header(token)
    key = _public_key(header, public_jwks)
    claims = jwt.decode(token, key, algorithms=[ALGORITHM]).claims
    if not isinstance(claims.get("sid"), str):
        raise TokenInvalid()
    entry = _Verified(header["kid"], public_jwks[header["kid"]], claims)
    _verified.put(token, entry)
    return entry


def _window(claims: Mapping[str, Any], leeway: int) -> tuple[int | float, int | float]:
    """When validated claims stay valid, as joserfc checks them: ``exp`` must be after
    ``now - leeway``, ``nbf`` and ``iat`` at most ``now + leeway``."""
    starts = [claims[name] for name in ("nbf", "iat") if claims.get(name) is not None]
    return (max(starts) - leeway if starts else 0), claims["exp"] + leeway


def verify_access_token(
    token: str,
    *,
    public_jwks: Mapping[str, dict[str, Any]],
    issuer: str,
    audience: str,
    now: datetime,
    leeway: int = LEEWAY_SECONDS,
) -> dict[str, Any]:
    """Return the claims of a valid access token; TokenExpired or TokenInvalid otherwise."""
    moment = _epoch(now)
    context = (issuer, audience, leeway)
    try:
        entry = _signed(token, public_jwks)
        window = entry.window
        if window is not None and window[0] == context and window[1] <= moment < window[2]:
            return dict(entry.claims)
        registry = jwt.JWTClaimsRegistry(
            now=moment,
            leeway=leeway,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            sub={"essential": True},
            sid={"essential": True},
            jti={"essential": True},
            exp={"essential": True},
        )
        registry.validate(entry.claims)
        starts, ends = _window(entry.claims, leeway)
        if isinstance(starts, int) and isinstance(ends, int):
            entry.window = (context, starts, ends)
    except ExpiredTokenError as error:
        raise TokenExpired() from error
    except (JoseError, ValueError, TypeError) as error:
        raise TokenInvalid() from error
    return dict(entry.claims)


_SUCCESSOR_INFO = b"identity refresh-token successor v1"


@lru_cache(maxsize=8)
def _successor_key(secret_key: str) -> bytes:
    """HKDF-SHA256 of the service secret under its own ``info``, as the other derived keys."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SUCCESSOR_INFO)
    return hkdf.derive(secret_key.encode("utf-8"))


def refresh_successor(*, secret_key: str, parent: str, prefix: str) -> str:
    """The refresh token that follows ``parent``: HMAC-SHA256 of it under a derived key.

    Deterministic, so a parent presented again within the reuse interval answers the same
    successor without the raw successor ever being stored; unguessable without the secret.
    """
    # surrogatepass, as hash_token: a lone surrogate (JSON's \udfff escape) is an unknown
    # token, not a UnicodeEncodeError; text UTF-8 can carry encodes as before.
    encoded = parent.encode("utf-8", "surrogatepass")
    digest = hmac.new(_successor_key(secret_key), encoded, hashlib.sha256).digest()
    return prefix + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
