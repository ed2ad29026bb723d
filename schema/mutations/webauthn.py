"""Security keys and passkeys over GraphQL: register, remove, the login's second step
(``beginWebauthnLogin``; ``completeMfaLogin`` with method webauthn finishes it), and a
passkey as the first factor. Every resolver is one call into ``identity.services.mfa.webauthn``."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from identity.services.mfa.webauthn import assertion, credentials, passkey, registration
from identity.services.mfa.webauthn.ceremony import CHALLENGE_TTL
from identity.web.cookies import set_auth_cookies
from schema.context import Context
from schema.declare import PUBLIC, SIGNED_IN, mutation
from schema.errors import (
    AccountDisabled,
    Conflict,
    InvalidCredentials,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from schema.ids import parse_id
from schema.mutations.auth import COOKIE_PATH, _http_response
from schema.mutations.mfa_login import ENROLLER, _enroller
from schema.types.auth import AuthPayload
from schema.types.webauthn import (
    BeginWebauthnLoginInput,
    DeleteWebauthnCredentialInput,
    FinishPasskeyLoginInput,
    FinishWebauthnRegistrationInput,
    WebauthnCredential,
    WebauthnCredentialDeleted,
    WebauthnCredentialPayload,
    WebauthnOptions,
)

BeginWebauthnRegistrationResult = Annotated[
    WebauthnOptions | PermissionDenied | ValidationError,
    strawberry.union(
        "BeginWebauthnRegistrationResult",
        description="Creation options, or why not (REAUTHENTICATION_REQUIRED as PermissionDenied).",
    ),
]
FinishWebauthnRegistrationResult = Annotated[
    WebauthnCredentialPayload | InvalidCredentials | Conflict | PermissionDenied | ValidationError,
    strawberry.union(
        "FinishWebauthnRegistrationResult",
        description="The registered credential, or why not (WEBAUTHN_VERIFICATION_FAILED as "
        "InvalidCredentials; WEBAUTHN_CREDENTIAL_EXISTS as Conflict; "
        "REAUTHENTICATION_REQUIRED as PermissionDenied).",
    ),
]
DeleteWebauthnCredentialResult = Annotated[
    WebauthnCredentialDeleted | NotFound | Conflict | PermissionDenied,
    strawberry.union(
        "DeleteWebauthnCredentialResult",
        description="Removed, or why not (REAUTHENTICATION_REQUIRED as PermissionDenied, "
        "MFA_LAST_FACTOR_REQUIRED as Conflict).",
    ),
]
BeginWebauthnLoginResult = Annotated[
    WebauthnOptions | InvalidCredentials | NotFound | ValidationError,
    strawberry.union(
        "BeginWebauthnLoginResult",
        description="Request options for the pending login, or why not (no pending login "
        "answers like a wrong code: MFA_CODE_INVALID; a malformed userId: NotFound).",
    ),
]
BeginPasskeyLoginResult = Annotated[
    WebauthnOptions | ValidationError,
    strawberry.union("BeginPasskeyLoginResult", description="Request options, or why not."),
]
FinishPasskeyLoginResult = Annotated[
    AuthPayload | InvalidCredentials | AccountDisabled | PermissionDenied | ValidationError,
    strawberry.union(
        "FinishPasskeyLoginResult",
        description="Tokens, or why not (WEBAUTHN_VERIFICATION_FAILED as InvalidCredentials; "
        "PASSWORD_CHANGE_REQUIRED as PermissionDenied: log in with the password).",
    ),
]


def _options(options: dict[str, Any]) -> WebauthnOptions:
    return WebauthnOptions.from_options(options, expires_in=int(CHALLENGE_TTL.total_seconds()))


@strawberry.type
class WebauthnMutations:
    @mutation(
        "Begin registering a security key or passkey: options for "
        "navigator.credentials.create (5 minutes, this session only). Needs recent "
        "authentication (reauthenticate), unless the bearer is an enrolment token.",
        access=ENROLLER,
    )
    async def begin_webauthn_registration(
        self, info: Info[Context, None]
    ) -> BeginWebauthnRegistrationResult:
        principal = await _enroller(info)
        return _options(
            await registration.begin_registration(info.context.deps, principal=principal)
        )

    @mutation(
        "Finish registering: the browser's credential is verified and stored (recent "
        "authentication, or an enrolment token, as for beginWebauthnRegistration).",
        access=ENROLLER,
    )
    async def finish_webauthn_registration(
        self, info: Info[Context, None], input: FinishWebauthnRegistrationInput
    ) -> FinishWebauthnRegistrationResult:
        principal = await _enroller(info)
        row = await registration.finish_registration(
            info.context.deps, principal=principal, credential=input.credential, name=input.name
        )
        return WebauthnCredentialPayload(credential=WebauthnCredential.from_model(row))

    @mutation(
        "Remove one of the caller's security keys or passkeys (needs recent authentication: "
        "reauthenticate).",
        access=SIGNED_IN,
    )
    async def delete_webauthn_credential(
        self, info: Info[Context, None], input: DeleteWebauthnCredentialInput
    ) -> DeleteWebauthnCredentialResult:
        principal = await info.context.require_principal()
        await credentials.delete_credential(
            info.context.deps, principal=principal, credential_id=input.credential_id
        )
        return WebauthnCredentialDeleted(id=input.credential_id)

    @mutation(
        "Second step of a login (MfaRequired): request options for the user's security keys, "
        "given the pending login's mfaToken (a userId alone answers MFA_CODE_INVALID); "
        "completeMfaLogin with method webauthn and the assertion finishes it.",
        access=PUBLIC,
    )
    async def begin_webauthn_login(
        self, info: Info[Context, None], input: BeginWebauthnLoginInput
    ) -> BeginWebauthnLoginResult:
        return _options(
            await assertion.begin_login(
                info.context.deps,
                user_id=parse_id(input.user_id, field="userId") if input.user_id else None,
                mfa_token=input.mfa_token,
                meta=info.context.meta,
            )
        )

    @mutation(
        "Begin a passkey login (no password): options for navigator.credentials.get with any "
        "discoverable credential of this site, user verification required.",
        access=PUBLIC,
    )
    async def begin_passkey_login(self, info: Info[Context, None]) -> BeginPasskeyLoginResult:
        return _options(await passkey.begin_passkey(info.context.deps))

    @mutation(
        "Finish a passkey login: the assertion opens a session (no second step: the passkey "
        "and its user verification are two factors). Aliasing this field is refused.",
        access=PUBLIC,
    )
    async def finish_passkey_login(
        self, info: Info[Context, None], input: FinishPasskeyLoginInput
    ) -> FinishPasskeyLoginResult:
        device: Any = input.device
        pair = await passkey.finish_passkey(
            info.context.deps,
            assertion=input.assertion,
            meta=info.context.meta,
            device_info=device if isinstance(device, dict) else None,
        )
        if input.use_cookie:
            set_auth_cookies(
                _http_response(info), pair, settings=info.context.deps.settings, path=COOKIE_PATH
            )
        return AuthPayload.from_pair(pair, cookie_mode=input.use_cookie)
