"""A user's second factors, and the answers of the factor mutations, as GraphQL sees them."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from identity.services.mfa.state import MfaSummary
from identity.services.mfa.totp import TotpSetup as TotpSetupResult
from schema.context import Context
from schema.types.webauthn import WebauthnCredential


@strawberry.type(description="A user's second factors.")
class Mfa:
    user_id: strawberry.Private[uuid.UUID]
    enabled: bool = strawberry.field(description="Whether a second factor is enabled.")
    methods: list[str] = strawberry.field(
        description="Methods a login may complete with, the preferred first: totp, webauthn, "
        "email, backup_code (backup codes only beside another factor)."
    )
    preferred: str | None = strawberry.field(description="The method offered first at login.")
    backup_codes_remaining: int = strawberry.field(description="Unused backup codes.")

    @classmethod
    def from_summary(cls, user_id: uuid.UUID, found: MfaSummary) -> Mfa:
        return cls(
            user_id=user_id,
            enabled=found.enabled,
            methods=[one.value for one in found.methods],
            preferred=found.preferred.value if found.preferred else None,
            backup_codes_remaining=found.backup_codes_remaining,
        )

    @strawberry.field(description="Registered security keys and passkeys, oldest first.")
    async def webauthn_credentials(self, info: Info[Context, None]) -> list[WebauthnCredential]:
        rows = await info.context.loaders.webauthn_by_user.load(self.user_id)
        return [WebauthnCredential.from_model(row) for row in rows]


@strawberry.type(
    description="A TOTP secret waiting to be proved by enableTotp (15 minutes); nothing is "
    "enabled yet."
)
class TotpSetup:
    secret: str = strawberry.field(description="The secret, base32 (for typing in by hand).")
    url: str = strawberry.field(description="otpauth://totp/<issuer>:<email>?secret=…&issuer=…")
    qr_code: str = strawberry.field(description="The URL as a QR code: an SVG data URI.")

    @classmethod
    def from_setup(cls, setup: TotpSetupResult) -> TotpSetup:
        return cls(secret=setup.secret, url=setup.url, qr_code=setup.qr_svg_data_uri)


@strawberry.type(description="Ten backup codes, shown this once; each works once.")
class BackupCodes:
    codes: list[str] = strawberry.field(description="The codes (ABCDE-FGHJK; hyphen optional).")


@strawberry.type(description="MFA was turned off, or reset by an administrator.")
class MfaDisabled:
    user_id: strawberry.ID = strawberry.field(description="The account whose MFA is off.")


@strawberry.type(description="The session proved its user again.")
class Reauthenticated:
    authenticated_at: datetime = strawberry.field(description="When (now).")
    recent_until: datetime = strawberry.field(
        description="Until when disableMfa and regenerateBackupCodes are allowed."
    )


@strawberry.type(description="The caller's second factors after the change.")
class MfaPayload:
    mfa: Mfa = strawberry.field(description="The caller's second factors.")
