"""Answers of the WebAuthn routes: ceremony options, credentials."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict


class WebauthnOptionsOut(TypedDict, total=False):
    """The options ``navigator.credentials.create|get`` takes, as WebAuthn's JSON form (bytes
    in base64url: ``PublicKeyCredential.parseCreationOptionsFromJSON`` and
    ``parseRequestOptionsFromJSON`` read them), and how long the challenge lives."""

    challenge: str
    timeout: int
    rp: dict[str, Any]
    rpId: str
    user: dict[str, Any]
    pubKeyCredParams: list[dict[str, Any]]
    excludeCredentials: list[dict[str, Any]]
    allowCredentials: list[dict[str, Any]]
    authenticatorSelection: dict[str, Any]
    userVerification: str
    attestation: str
    expires_in: int


class WebauthnCredentialOut(TypedDict):
    id: str
    credential_id: str
    name: str
    transports: list[str]
    discoverable: bool
    backed_up: bool
    aaguid: str | None
    sign_count: int
    created_at: str
    last_used_at: str | None


class WebauthnCredentialsOut(TypedDict):
    credentials: list[WebauthnCredentialOut]
    count: int


class WebauthnRegisteredOut(TypedDict):
    message: str
    credential: WebauthnCredentialOut
