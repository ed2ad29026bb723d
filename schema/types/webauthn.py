"""Security keys and passkeys: ceremony options, credentials, and the inputs that finish them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from identity.models.mfa import WebauthnCredential as WebauthnCredentialRow


@strawberry.type(
    description="Options for the browser's navigator.credentials.create or get, in WebAuthn's "
    "JSON form (bytes in base64url; PublicKeyCredential.parseCreationOptionsFromJSON and "
    "parseRequestOptionsFromJSON read them)."
)
class WebauthnOptions:
    options: JSON = strawberry.field(description="The publicKey options object.")
    challenge: str = strawberry.field(description="The challenge (single use).")
    expires_in: int = strawberry.field(description="Seconds the challenge stays valid.")

    @classmethod
    def from_options(cls, options: dict[str, Any], *, expires_in: int) -> WebauthnOptions:
        found: Any = options
        return cls(options=found, challenge=str(options["challenge"]), expires_in=expires_in)


@strawberry.type(description="A registered security key or passkey.")
class WebauthnCredential:
    id: str = strawberry.field(description="The credential id (base64url), as browsers name it.")
    name: str = strawberry.field(description="The name its user gave it.")
    transports: list[str] = strawberry.field(
        description="How the browser reaches it (usb, nfc, ble, internal, hybrid)."
    )
    discoverable: bool = strawberry.field(
        description="A passkey: it can sign in without a password (beginPasskeyLogin)."
    )
    backed_up: bool = strawberry.field(description="Synced to the user's other devices.")
    created_at: datetime = strawberry.field(description="When it was registered.")
    last_used_at: datetime | None = strawberry.field(description="Its last successful use.")

    @classmethod
    def from_model(cls, row: WebauthnCredentialRow) -> WebauthnCredential:
        return cls(
            id=row.credential_id,
            name=row.name,
            transports=list(row.transports or []),
            discoverable=row.discoverable,
            backed_up=row.backed_up,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
        )


@strawberry.type(description="A security key or passkey was registered.")
class WebauthnCredentialPayload:
    credential: WebauthnCredential = strawberry.field(description="The new credential.")


@strawberry.type(description="A security key or passkey was removed.")
class WebauthnCredentialDeleted:
    id: str = strawberry.field(description="The removed credential's id.")


@strawberry.input(description="The browser's answer to beginWebauthnRegistration's options.")
class FinishWebauthnRegistrationInput:
    credential: str = strawberry.field(
        description="PublicKeyCredential.toJSON() of navigator.credentials.create, as a string."
    )
    name: str | None = strawberry.field(
        default=None, description="A name to recognise it by (at most 100 characters)."
    )


@strawberry.input(description="Names the security key or passkey to remove.")
class DeleteWebauthnCredentialInput:
    credential_id: str = strawberry.field(description="WebauthnCredential.id.")


@strawberry.input(description="Names a pending login (MfaRequired) to answer with a security key.")
class BeginWebauthnLoginInput:
    mfa_token: str | None = strawberry.field(
        default=None,
        description="MfaRequired.mfaToken: required (without it: MFA_CODE_INVALID).",
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="MfaRequired.userId, optional: it must agree with mfaToken."
    )


@strawberry.input(description="The browser's answer to beginPasskeyLogin's options.")
class FinishPasskeyLoginInput:
    assertion: str = strawberry.field(
        description="PublicKeyCredential.toJSON() of navigator.credentials.get, as a string."
    )
    device: JSON | None = strawberry.field(
        default=None, description="Device info recorded with the session, as login takes it."
    )
    use_cookie: bool = strawberry.field(
        default=False,
        description="Put the refresh token in an HttpOnly cookie (then send X-CSRF-Token).",
    )
