"""Well-known endpoints for token verifiers: JWKS and OpenID discovery."""

from __future__ import annotations

from typing import Any

from identity.rest.deps import RuntimeDep
from identity.rest.responses.service import JwksOut, OpenIdConfigurationOut
from identity.rest.routing import row


async def jwks(runtime: RuntimeDep) -> dict[str, Any]:
    return await runtime.deps.keys.jwks()


async def openid_configuration(runtime: RuntimeDep) -> dict[str, Any]:
    issuer = runtime.settings.issuer
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint": f"{issuer}/api/v1/auth/login",
        "grant_types_supported": ["password", "refresh_token"],
    }


ROUTES = (
    row(
        "GET",
        "/.well-known/jwks.json",
        jwks,
        "Public keys that verify access tokens",
        seeds="own",
        response=JwksOut,
    ),
    row(
        "GET",
        "/.well-known/openid-configuration",
        openid_configuration,
        "Discovery document",
        seeds="own",
        response=OpenIdConfigurationOut,
    ),
)
