from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt as pyjwt
import pytest
from joserfc.jwk import ECKey

from identity.errors import TokenExpired, TokenInvalid
from identity.security.keys import GeneratedKey, generate_signing_key, jwks
from identity.security.tokens import (
    ACCESS_TOKEN_TYPE,
    IssuedToken,
    issue_access_token,
    verify_access_token,
)

ISSUER = "https://identity.example.com"
AUDIENCE = "https://api.example.com"
NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
LIFETIME = timedelta(minutes=15)


@pytest.fixture(scope="module")
def key() -> GeneratedKey:
    return generate_signing_key()


def _issue(key: GeneratedKey, now: datetime = NOW, **overrides: Any) -> IssuedToken:
    arguments: dict[str, Any] = {
        "private_jwk": key.private_jwk,
        "kid": key.kid,
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "subject": "user-1",
        "session_id": "session-1",
        "now": now,
        "lifetime": LIFETIME,
        "claims": {"email": "alice@example.com", "role": "admin", "permissions": ["users:read"]},
    }
    arguments.update(overrides)
    return issue_access_token(**arguments)


def _verify(token: str, key: GeneratedKey, now: datetime = NOW, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "public_jwks": {key.kid: key.public_jwk},
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "now": now,
    }
    arguments.update(overrides)
    return verify_access_token(token, **arguments)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64_json(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _unb64_json(segment: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return _unb64_json(header), _unb64_json(payload), signature


def test_an_issued_token_verifies_and_carries_its_claims(key: GeneratedKey) -> None:
    # Given a token issued now
    issued = _issue(key)

    # When it is verified at the same moment
    claims = _verify(issued.token, key)

    # Then the registered and extra claims come back
    epoch = int(NOW.timestamp())
    assert claims == {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "sid": "session-1",
        "jti": issued.jti,
        "iat": epoch,
        "nbf": epoch,
        "exp": epoch + 900,
        "email": "alice@example.com",
        "role": "admin",
        "permissions": ["users:read"],
    }
    assert issued.expires_at == NOW + LIFETIME
    assert issued.expires_in == 900


def test_the_header_names_es256_the_kid_and_the_access_token_type(key: GeneratedKey) -> None:
    header, payload, _ = _parts(_issue(key).token)

    assert header == {"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}
    assert ACCESS_TOKEN_TYPE == "at+jwt"
    assert all(isinstance(payload[name], int) for name in ("iat", "nbf", "exp"))


def test_each_token_has_its_own_jti(key: GeneratedKey) -> None:
    assert _issue(key).jti != _issue(key).jti


def test_extra_claims_cannot_override_registered_ones(key: GeneratedKey) -> None:
    with pytest.raises(ValueError, match="sub"):
        _issue(key, claims={"sub": "someone-else"})


def test_an_independent_library_verifies_the_token_against_the_jwks(key: GeneratedKey) -> None:
    # Given a token issued by us (now is the real time: PyJWT checks exp against its own clock)
    real_now = datetime.now(UTC)
    issued = _issue(key, now=real_now)
    key_set = pyjwt.PyJWKSet.from_dict(jwks([key.public_jwk]))

    # When PyJWT verifies it with the published key
    claims = pyjwt.decode(
        issued.token,
        key_set[key.kid].key,
        algorithms=["ES256"],
        audience=AUDIENCE,
        issuer=ISSUER,
    )

    # Then it agrees on the claims
    assert claims["sub"] == "user-1"
    assert claims["sid"] == "session-1"
    assert claims["jti"] == issued.jti
    assert pyjwt.get_unverified_header(issued.token)["typ"] == "at+jwt"


def test_claims_beyond_ascii_verify_with_an_independent_library(key: GeneratedKey) -> None:
    issued = _issue(key, now=datetime.now(UTC), claims={"email": "zoë@exämple.com"})
    key_set = pyjwt.PyJWKSet.from_dict(jwks([key.public_jwk]))

    claims = pyjwt.decode(
        issued.token, key_set[key.kid].key, algorithms=["ES256"], audience=AUDIENCE
    )

    assert claims["email"] == "zoë@exämple.com"


def test_a_signing_key_off_p256_is_refused(key: GeneratedKey) -> None:
    other = ECKey.generate_key("P-384", private=True, parameters={"kid": "p384"})

    with pytest.raises(ValueError, match="P-256"):
        _issue(key, private_jwk=other.as_dict(private=True), kid="p384")


def test_a_token_with_alg_none_is_refused(key: GeneratedKey) -> None:
    # Given a hand-built unsigned token with valid-looking claims
    _, payload, _ = _parts(_issue(key).token)
    header = {"alg": "none", "kid": key.kid, "typ": "at+jwt"}
    forged = f"{_b64_json(header)}.{_b64_json(payload)}."

    # Then it is refused
    with pytest.raises(TokenInvalid):
        _verify(forged, key)


@pytest.mark.parametrize("secret_form", ["pem", "jwk-json"])
def test_a_token_signed_hs256_with_the_public_key_is_refused(
    key: GeneratedKey, secret_form: str
) -> None:
    # Given the classic confusion attack: HMAC keyed with the public key
    _, payload, _ = _parts(_issue(key).token)
    public = ECKey.import_key(key.public_jwk)
    secret = (
        public.as_pem(private=False)
        if secret_form == "pem"
        else json.dumps(key.public_jwk).encode()
    )
    header = {"alg": "HS256", "kid": key.kid, "typ": "at+jwt"}
    signing_input = f"{_b64_json(header)}.{_b64_json(payload)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{_b64(signature)}"

    # Then it is refused
    with pytest.raises(TokenInvalid):
        _verify(forged, key)


def test_an_unknown_kid_is_refused(key: GeneratedKey) -> None:
    token = _issue(key, kid="not-a-known-kid").token

    with pytest.raises(TokenInvalid):
        _verify(token, key)


def test_a_missing_kid_is_refused(key: GeneratedKey) -> None:
    header, payload, signature = _parts(_issue(key).token)
    del header["kid"]
    forged = f"{_b64_json(header)}.{_b64_json(payload)}.{signature}"

    with pytest.raises(TokenInvalid):
        _verify(forged, key)


@pytest.mark.parametrize(
    ("claim", "value"),
    [("sub", "admin-user"), ("role", "superadmin"), ("exp", 4102444800 + 10**6)],
)
def test_a_tampered_payload_is_refused(key: GeneratedKey, claim: str, value: Any) -> None:
    # Given a genuine token whose payload is changed but whose signature is kept
    header, payload, signature = _parts(_issue(key).token)
    payload[claim] = value
    forged = f"{_b64_json(header)}.{_b64_json(payload)}.{signature}"

    with pytest.raises(TokenInvalid):
        _verify(forged, key)


def test_the_wrong_audience_is_refused(key: GeneratedKey) -> None:
    token = _issue(key, audience="https://other.example.com").token

    with pytest.raises(TokenInvalid):
        _verify(token, key)


def test_an_audience_list_containing_ours_is_accepted_and_one_without_it_refused(
    key: GeneratedKey,
) -> None:
    other = generate_signing_key()
    good = _sign_by_hand(other, {"aud": ["https://x.example.com", AUDIENCE]})
    bad = _sign_by_hand(other, {"aud": ["https://x.example.com"]})

    assert _verify(good, other)["aud"] == ["https://x.example.com", AUDIENCE]
    with pytest.raises(TokenInvalid):
        _verify(bad, other)


def test_the_wrong_issuer_is_refused(key: GeneratedKey) -> None:
    token = _issue(key, issuer="https://evil.example.com").token

    with pytest.raises(TokenInvalid):
        _verify(token, key)


@pytest.mark.parametrize("typ", ["JWT", "jwt", None])
def test_a_token_of_another_type_is_refused(key: GeneratedKey, typ: str | None) -> None:
    header: dict[str, Any] = {"alg": "ES256", "kid": key.kid}
    if typ is not None:
        header["typ"] = typ
    token = _sign_by_hand(key, {}, header=header)

    with pytest.raises(TokenInvalid):
        _verify(token, key)


def test_a_token_not_yet_valid_is_refused(key: GeneratedKey) -> None:
    # Given a token issued 6 s in the future (beyond the 5 s leeway)
    token = _issue(key, now=NOW + timedelta(seconds=6)).token

    with pytest.raises(TokenInvalid):
        _verify(token, key)


def test_clock_skew_within_the_leeway_is_tolerated(key: GeneratedKey) -> None:
    token = _issue(key, now=NOW + timedelta(seconds=4)).token

    assert _verify(token, key)["sub"] == "user-1"


def test_an_expired_token_raises_token_expired(key: GeneratedKey) -> None:
    token = _issue(key).token

    with pytest.raises(TokenExpired):
        _verify(token, key, now=NOW + LIFETIME + timedelta(seconds=31))


def test_the_leeway_past_exp_is_at_most_five_seconds(key: GeneratedKey) -> None:
    """Issue 10, item 6: 30 s of leeway let a token live half a minute past its expiry."""
    token = _issue(key).token

    assert _verify(token, key, now=NOW + LIFETIME + timedelta(seconds=4))["sub"] == "user-1"
    with pytest.raises(TokenExpired):
        _verify(token, key, now=NOW + LIFETIME + timedelta(seconds=6))


@pytest.mark.parametrize("missing", ["sub", "sid", "jti", "exp"])
def test_a_token_missing_a_required_claim_is_refused(key: GeneratedKey, missing: str) -> None:
    token = _sign_by_hand(key, {}, drop=missing)

    with pytest.raises(TokenInvalid):
        _verify(token, key)


def test_a_token_from_another_key_under_the_same_kid_is_refused(key: GeneratedKey) -> None:
    # Given an attacker's key that claims our kid
    attacker = generate_signing_key()
    token = issue_access_token(
        private_jwk=attacker.private_jwk,
        kid=key.kid,
        issuer=ISSUER,
        audience=AUDIENCE,
        subject="user-1",
        session_id="session-1",
        now=NOW,
        lifetime=LIFETIME,
    ).token

    with pytest.raises(TokenInvalid):
        _verify(token, key)


@pytest.mark.parametrize(
    "garbage",
    ["", "abc", "a.b", "a.b.c", "a.b.c.d", "....", "eyJhbGciOiJFUzI1NiJ9.e30.", "\ud800.x.y"],
)
def test_a_malformed_token_is_refused(key: GeneratedKey, garbage: str) -> None:
    with pytest.raises(TokenInvalid):
        _verify(garbage, key)


def test_a_truncated_signature_is_refused(key: GeneratedKey) -> None:
    token = _issue(key).token

    with pytest.raises(TokenInvalid):
        _verify(token[:-4], key)


def _sign_by_hand(
    key: GeneratedKey,
    changes: dict[str, Any],
    *,
    header: dict[str, Any] | None = None,
    drop: str | None = None,
) -> str:
    """A correctly signed token whose payload or header we choose freely."""
    epoch = int(NOW.timestamp())
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "sid": "session-1",
        "jti": "jti-1",
        "iat": epoch,
        "nbf": epoch,
        "exp": epoch + 900,
        **changes,
    }
    if drop is not None:
        del payload[drop]
    header = header or {"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}
    private = ECKey.import_key(key.private_jwk)
    return pyjwt.encode(payload, private.as_pem(private=True), algorithm="ES256", headers=header)


def test_a_verified_token_stops_verifying_once_its_key_is_withdrawn(key: GeneratedKey) -> None:
    token = _issue(key).token
    assert _verify(token, key)["sub"] == "user-1"

    with pytest.raises(TokenInvalid):
        _verify(token, key, public_jwks={})


def test_a_verified_token_is_not_accepted_under_another_key_with_its_kid(
    key: GeneratedKey,
) -> None:
    token = _issue(key).token
    assert _verify(token, key)["sub"] == "user-1"
    impostor = generate_signing_key()

    with pytest.raises(TokenInvalid):
        _verify(token, key, public_jwks={key.kid: impostor.public_jwk})


def test_a_token_verified_before_is_checked_again_at_every_instant(key: GeneratedKey) -> None:
    """The claims validated once are trusted only inside their validity window."""
    token = _issue(key, now=NOW + timedelta(seconds=4)).token
    assert _verify(token, key)["sub"] == "user-1"  # 4 s early: within the leeway

    with pytest.raises(TokenInvalid):
        _verify(token, key, now=NOW - timedelta(seconds=2))  # issued 6 s in its future
    expires = NOW + timedelta(seconds=4) + LIFETIME
    assert _verify(token, key, now=expires + timedelta(seconds=4))["sub"] == "user-1"
    with pytest.raises(TokenExpired):
        _verify(token, key, now=expires + timedelta(seconds=5))


def test_a_token_verified_before_is_checked_again_for_another_audience_or_issuer(
    key: GeneratedKey,
) -> None:
    token = _issue(key).token
    assert _verify(token, key)["sub"] == "user-1"

    with pytest.raises(TokenInvalid):
        _verify(token, key, audience="https://other.example.com")
    with pytest.raises(TokenInvalid):
        _verify(token, key, issuer="https://other.example.com")


def test_the_claims_answered_are_a_copy(key: GeneratedKey) -> None:
    token = _issue(key).token
    _verify(token, key)["sub"] = "someone-else"

    assert _verify(token, key)["sub"] == "user-1"
