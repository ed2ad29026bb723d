"""Access tokens: ES256 JWTs that verify against the published JWKS; forgeries are refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from identity.app import create_app
from identity.config import Settings
from identity.security.tokens import issue_access_token
from tests.conftest import open_client
from tests.support.app import runtime
from tests.support.http import ME, assert_error, bearer, post_ok
from tests.support.jwt import b64url, b64url_json, jwt_parts

JWKS = "/.well-known/jwks.json"
REGISTER = "/v1/auth/register"
LOGIN = "/v1/auth/login"
# Seed 003's register and login examples.
ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}
AUDIENCE = "identity"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "sid", "jti", "iat", "exp"]


async def signed_in(client: httpx.AsyncClient) -> dict[str, Any]:
    await post_ok(client, REGISTER, ACCOUNT, status=201)
    return await post_ok(client, LOGIN, ACCOUNT)


async def published_key(client: httpx.AsyncClient, kid: str) -> pyjwt.PyJWK:
    response = await client.get(JWKS)
    assert response.status_code == 200, response.text
    keys = {key["kid"]: key for key in response.json()["keys"]}
    return pyjwt.PyJWK.from_dict(keys[kid])


def verify(token: str, key: pyjwt.PyJWK, issuer: str) -> dict[str, Any]:
    claims: dict[str, Any] = pyjwt.decode(
        token,
        key=key,
        algorithms=["ES256"],
        audience=AUDIENCE,
        issuer=issuer,
        options={"require": REQUIRED_CLAIMS},
    )
    return claims


async def test_the_access_token_verifies_against_the_jwks(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given
    login = await signed_in(client)
    token = login["access_token"]

    # when
    header = pyjwt.get_unverified_header(token)
    claims = verify(token, await published_key(client, header["kid"]), settings.issuer)

    # then
    assert header["alg"] == "ES256"
    assert header["typ"] == "at+jwt"
    assert claims["iss"] == settings.public_url.rstrip("/")
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == login["user"]["id"]
    assert claims["sid"] == login["session_id"]
    assert claims["email"] == "user@example.com"
    assert claims["role"] == "user"
    assert claims["permissions"] == []
    assert claims["jti"]
    assert claims["exp"] - claims["iat"] == login["expires_in"]


async def test_the_jwks_publishes_no_private_members(client: httpx.AsyncClient) -> None:
    # when
    keys = (await client.get(JWKS)).json()["keys"]

    # then
    assert keys
    for key in keys:
        assert key["kty"] == "EC"
        assert key["crv"] == "P-256"
        assert "d" not in key


async def test_each_token_has_its_own_jti(client: httpx.AsyncClient) -> None:
    # given
    first = await signed_in(client)

    # when
    second = await post_ok(client, LOGIN, ACCOUNT)

    # then
    jtis = {jwt_parts(one["access_token"])[1]["jti"] for one in (first, second)}
    assert len(jtis) == 2


@pytest.fixture
async def public_client(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose public URL ends with a slash, as operators often write it."""
    app = create_app(make_settings(public_url="https://id.example.com/"))
    async for opened in open_client(app):
        yield opened


async def test_the_issuer_is_the_public_url_without_its_trailing_slash(
    public_client: httpx.AsyncClient,
) -> None:
    # given
    login = await signed_in(public_client)
    token = login["access_token"]

    # when
    key = await published_key(public_client, pyjwt.get_unverified_header(token)["kid"])
    claims = verify(token, key, "https://id.example.com")

    # then
    assert claims["iss"] == "https://id.example.com"
    assert (await public_client.get(ME, headers=bearer(token))).status_code == 200


Forger = Callable[[FastAPI, httpx.AsyncClient, str], Awaitable[str]]


async def alg_none(_app: FastAPI, _client: httpx.AsyncClient, token: str) -> str:
    header, payload, _ = jwt_parts(token)
    return f"{b64url_json({**header, 'alg': 'none'})}.{b64url_json(payload)}."


async def hs256_with_the_public_key(_app: FastAPI, client: httpx.AsyncClient, token: str) -> str:
    header, payload, _ = jwt_parts(token)
    public = (await published_key(client, header["kid"])).key
    secret = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{b64url_json({**header, 'alg': 'HS256'})}.{b64url_json(payload)}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


async def hs256_with_the_jwk_as_secret(_app: FastAPI, client: httpx.AsyncClient, token: str) -> str:
    header, payload, _ = jwt_parts(token)
    keys = (await client.get(JWKS)).json()["keys"]
    secret = json.dumps(keys[0]).encode("utf-8")
    signing_input = f"{b64url_json({**header, 'alg': 'HS256'})}.{b64url_json(payload)}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


async def unknown_kid(_app: FastAPI, _client: httpx.AsyncClient, token: str) -> str:
    header, payload, _ = jwt_parts(token)
    stranger = ec.generate_private_key(ec.SECP256R1())
    headers = {"kid": "a-key-we-never-made", "typ": header["typ"]}
    return pyjwt.encode(payload, stranger, algorithm="ES256", headers=headers)


async def our_kid_a_strangers_key(_app: FastAPI, _client: httpx.AsyncClient, token: str) -> str:
    header, payload, _ = jwt_parts(token)
    stranger = ec.generate_private_key(ec.SECP256R1())
    headers = {"kid": header["kid"], "typ": header["typ"]}
    return pyjwt.encode(payload, stranger, algorithm="ES256", headers=headers)


async def tampered_payload(_app: FastAPI, _client: httpx.AsyncClient, token: str) -> str:
    encoded_header, _, signature = token.split(".")
    _, payload, _ = jwt_parts(token)
    return f"{encoded_header}.{b64url_json({**payload, 'role': 'superadmin'})}.{signature}"


async def reissue(app: FastAPI, token: str, **changes: Any) -> str:
    """A token signed with the app's own key, with some arguments changed."""
    _, claims, _ = jwt_parts(token)
    key = await runtime(app).deps.keys.signing_key()
    settings = runtime(app).settings
    arguments: dict[str, Any] = {
        "private_jwk": key.private_jwk,
        "kid": key.kid,
        "issuer": settings.issuer,
        "audience": settings.jwt_audience,
        "subject": claims["sub"],
        "session_id": claims["sid"],
        "now": datetime.now(UTC),
        "lifetime": timedelta(minutes=15),
        "claims": {"email": claims["email"], "role": claims["role"], "permissions": []},
    }
    arguments.update(changes)
    return issue_access_token(**arguments).token


async def wrong_audience(app: FastAPI, _client: httpx.AsyncClient, token: str) -> str:
    return await reissue(app, token, audience="another-service")


async def wrong_issuer(app: FastAPI, _client: httpx.AsyncClient, token: str) -> str:
    return await reissue(app, token, issuer="https://evil.example.com")


async def wrong_type(app: FastAPI, _client: httpx.AsyncClient, token: str) -> str:
    """Our key and claims, but a plain JWT instead of an access token (RFC 9068)."""
    header, payload, _ = jwt_parts(token)
    key = await runtime(app).deps.keys.signing_key()
    private = pyjwt.PyJWK.from_dict(key.private_jwk).key
    return pyjwt.encode(payload, private, algorithm="ES256", headers={"kid": header["kid"]})


async def unknown_session(app: FastAPI, _client: httpx.AsyncClient, token: str) -> str:
    return await reissue(app, token, session_id="00000000-0000-4000-8000-000000000000")


FORGERIES: dict[str, Forger] = {
    "alg none": alg_none,
    "HS256 signed with the public key": hs256_with_the_public_key,
    "HS256 signed with the JWK": hs256_with_the_jwk_as_secret,
    "unknown kid": unknown_kid,
    "our kid, a stranger's key": our_kid_a_strangers_key,
    "tampered payload": tampered_payload,
    "wrong audience": wrong_audience,
    "wrong issuer": wrong_issuer,
    "typ JWT, not at+jwt": wrong_type,
    "unknown session": unknown_session,
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_a_forged_token_is_refused(
    app: FastAPI, client: httpx.AsyncClient, forgery: str
) -> None:
    # given
    login = await signed_in(client)
    forged = await FORGERIES[forgery](app, client, login["access_token"])

    # when
    response = await client.get(ME, headers=bearer(forged))

    # then
    assert_error(response, 401, "TOKEN_INVALID")
    assert (await client.get(ME, headers=bearer(login["access_token"]))).status_code == 200


async def test_a_token_signed_by_us_that_forgery_starts_from_is_accepted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The control for the forgeries above: the same re-issue, unchanged, is let in."""
    # given
    login = await signed_in(client)

    # when
    response = await client.get(ME, headers=bearer(await reissue(app, login["access_token"])))

    # then
    assert response.status_code == 200, response.text


async def test_an_expired_token_is_refused_as_expired(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    login = await signed_in(client)
    long_ago = datetime.now(UTC) - timedelta(days=1)
    expired = await reissue(app, login["access_token"], now=long_ago)

    # when
    response = await client.get(ME, headers=bearer(expired))

    # then
    assert_error(response, 401, "TOKEN_EXPIRED")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}],
    ids=["no header", "basic scheme", "empty bearer"],
)
async def test_no_token_is_401_authentication_required(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    # when
    response = await client.get(ME, headers=headers)

    # then
    assert_error(response, 401, "AUTHENTICATION_REQUIRED")


@pytest.mark.parametrize(
    "garbage", ["not-a-jwt", "a.b.c", "e30.e30.", "....", "eyJhbGciOiJFUzI1NiJ9" * 50]
)
async def test_garbage_tokens_are_401_token_invalid(
    client: httpx.AsyncClient, garbage: str
) -> None:
    # when
    response = await client.get(ME, headers=bearer(garbage))

    # then
    assert_error(response, 401, "TOKEN_INVALID")
