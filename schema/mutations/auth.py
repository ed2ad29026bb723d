"""Authentication mutations: one resolver each, every one a thin call into a service."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from starlette.responses import Response
from strawberry.types import Info

from identity.errors import AuthenticationRequired, IdentityError
from identity.principal import Principal
from identity.services import accounts, auth, sessions
from identity.services.accounts import Profile
from identity.services.mfa.enrollment import MfaEnrollmentRequired as EnrollmentStep
from identity.services.mfa.pending import MfaRequired as PendingStep
from identity.services.mfa.trusted import COOKIE_NAME
from identity.services.tokens import PasswordChangeToken, TokenPair
from identity.web.cookies import clear_auth_cookies, set_auth_cookies
from identity.web.credentials import principal_from, refresh_credential
from schema.context import Context
from schema.declare import PUBLIC, SIGNED_IN, Access, mutation
from schema.errors import (
    AccountDisabled,
    AccountLocked,
    Conflict,
    CsrfFailed,
    EmailNotVerified,
    InvalidCredentials,
    NotFound,
    PermissionDenied,
    TokenExpired,
    TokenInvalid,
    TokenReused,
    TooManyAttempts,
    ValidationError,
)
from schema.ids import parse_id
from schema.permissions import AUTHENTICATED, caller
from schema.types.auth import (
    AuthPayload,
    ChangePasswordInput,
    LoginInput,
    LogoutInput,
    MfaEnrollmentRequired,
    MfaRequired,
    PasswordChanged,
    PasswordChangeRequired,
    RefreshTokenInput,
    RegisterInput,
    RegisterPayload,
    SessionsRevoked,
    UpdateProfileInput,
    UserPayload,
)
from schema.types.user import User

COOKIE_PATH = "/graphql"

RegisterResult = Annotated[
    RegisterPayload | ValidationError | Conflict | PermissionDenied,
    strawberry.union("RegisterResult", description="A new account, or why not."),
]
LoginResult = Annotated[
    AuthPayload
    | PasswordChangeRequired
    | MfaRequired
    | MfaEnrollmentRequired
    | InvalidCredentials
    | AccountLocked
    | AccountDisabled
    | EmailNotVerified
    | ValidationError,
    strawberry.union(
        "LoginResult",
        description="Tokens, a second step due (MfaRequired, MfaEnrollmentRequired), or why "
        "the login failed.",
    ),
]
RefreshTokenResult = Annotated[
    AuthPayload
    | TokenInvalid
    | TokenExpired
    | TokenReused
    | CsrfFailed
    | AccountLocked
    | AccountDisabled,
    strawberry.union("RefreshTokenResult", description="New tokens, or why not."),
]
LogoutResult = Annotated[
    SessionsRevoked | TokenInvalid | CsrfFailed,
    strawberry.union("LogoutResult", description="The session ended, or why not."),
]
ChangePasswordResult = Annotated[
    PasswordChanged
    | MfaEnrollmentRequired
    | InvalidCredentials
    | TooManyAttempts
    | ValidationError,
    strawberry.union(
        "ChangePasswordResult",
        description="Other sessions ended and new tokens, or why not. A forced change by an "
        "account that must enrol a second factor first ends its sessions and answers "
        "MfaEnrollmentRequired.",
    ),
]
UpdateProfileResult = Annotated[
    UserPayload | ValidationError | Conflict | InvalidCredentials | TooManyAttempts,
    strawberry.union("UpdateProfileResult", description="The updated user, or why not."),
]
SwitchTenantResult = Annotated[
    AuthPayload | NotFound,
    strawberry.union(
        "SwitchTenantResult", description="New tokens acting in the tenant, or why not."
    ),
]
RevokeSessionResult = Annotated[
    SessionsRevoked | NotFound,
    strawberry.union("RevokeSessionResult", description="Sessions ended, or why not."),
]


PASSWORD_CHANGER = Access(
    f"{AUTHENTICATED} A token from a login that answered PasswordChangeRequired will do."
)
"""changePassword authenticates its caller itself (_password_changer)."""


def _http_response(info: Info[Context, None]) -> Response:
    """Where cookies are set: mutations arrive over HTTP, never over a websocket."""
    response = info.context.response
    if not isinstance(response, Response):
        raise TypeError("Cookies need an HTTP response")
    return response


async def _password_changer(info: Info[Context, None]) -> Principal:
    """The caller of changePassword: a token that may only change the password will do."""
    context = info.context
    try:
        principal = await principal_from(
            context.request, context.deps, context.meta, for_password_change=True
        )
    except IdentityError as exc:
        raise GraphQLError(exc.message, extensions={"code": exc.code}) from exc
    if principal is None:
        raise GraphQLError(
            AuthenticationRequired.default_message,
            extensions={"code": AuthenticationRequired.code},
        )
    return principal


def login_payload_of(
    info: Info[Context, None], tokens: TokenPair | PasswordChangeToken, *, cookie_mode: bool
) -> AuthPayload | PasswordChangeRequired:
    """What login answers for the session it opened (cookies set in cookie mode)."""
    if isinstance(tokens, PasswordChangeToken):
        return PasswordChangeRequired.from_token(tokens)
    if cookie_mode:
        set_auth_cookies(
            _http_response(info), tokens, settings=info.context.deps.settings, path=COOKIE_PATH
        )
    return AuthPayload.from_pair(tokens, cookie_mode=cookie_mode)


def _profile(data: RegisterInput | UpdateProfileInput) -> Profile:
    return Profile(
        first_name=data.first_name,
        last_name=data.last_name,
        display_name=data.display_name,
        username=data.username,
        organization=data.organization,
        subscription_plan=data.subscription_plan,
        avatar_url=getattr(data, "avatar_url", None),
    )


NO_TENANT = uuid.UUID(int=0)
"""The id a malformed ``organizationId`` is looked up as: no tenant has it, so the answer is
exactly an unknown tenant's (SELF_REGISTRATION_NOT_ALLOWED, after the same checks)."""


def _organization(value: strawberry.ID | None) -> uuid.UUID | None:
    """Seed 004's ``organization_id``: a malformed id is answered as an unknown one."""
    if not value:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return NO_TENANT


@strawberry.type
class AuthMutations:
    @mutation("Create an account.", access=PUBLIC)
    async def register(self, info: Info[Context, None], input: RegisterInput) -> RegisterResult:
        user = await accounts.register(
            info.context.deps,
            email=input.email,
            password=input.password,
            profile=_profile(input),
            meta=info.context.meta,
            tenant_id=_organization(input.organization_id),
        )
        return RegisterPayload(user=User.from_model(user))

    @mutation(
        "Log in. At most one credential check per request: aliasing this field is refused.",
        access=PUBLIC,
    )
    async def login(self, info: Info[Context, None], input: LoginInput) -> LoginResult:
        device: Any = input.device
        outcome = await auth.login(
            info.context.deps,
            identifier=input.identifier,
            password=input.password,
            meta=info.context.meta,
            device_info=device if isinstance(device, dict) else None,
            tenant_slug=input.organization_slug,
            device_token=input.device_token or info.context.request.cookies.get(COOKIE_NAME),
            cookie_path=COOKIE_PATH if input.use_cookie else None,
        )
        if isinstance(outcome, PendingStep):
            return MfaRequired.from_step(outcome)
        if isinstance(outcome, EnrollmentStep):
            return MfaEnrollmentRequired.from_step(outcome)
        return login_payload_of(info, outcome, cookie_mode=input.use_cookie)

    @mutation(
        "Rotate a refresh token, from the input or (with X-CSRF-Token) the cookie. Replaying "
        "a used token revokes its session.",
        access=PUBLIC,
    )
    async def refresh_token(
        self, info: Info[Context, None], input: RefreshTokenInput | None = None
    ) -> RefreshTokenResult:
        credential = refresh_credential(
            info.context.request, input.refresh_token if input else None
        )
        pair = await auth.refresh(
            info.context.deps,
            refresh_token=credential.token if credential else "",
            meta=info.context.meta,
        )
        cookie_mode = credential is not None and credential.from_cookie
        if cookie_mode:
            set_auth_cookies(
                _http_response(info),
                pair,
                settings=info.context.deps.settings,
                path=COOKIE_PATH,
            )
        return AuthPayload.from_pair(pair, cookie_mode=cookie_mode)

    @mutation(
        "End the session of the bearer token, or of a refresh token or cookie.", access=PUBLIC
    )
    async def logout(
        self, info: Info[Context, None], input: LogoutInput | None = None
    ) -> LogoutResult:
        principal = await caller(info)
        refresh = input.refresh_token if input else None
        if principal is None:
            credential = refresh_credential(info.context.request, refresh)
            refresh = credential.token if credential else None
        await auth.logout(
            info.context.deps,
            meta=info.context.meta,
            principal=principal,
            refresh_token=refresh,
        )
        clear_auth_cookies(
            _http_response(info),
            settings=info.context.deps.settings,
            path=COOKIE_PATH,
        )
        return SessionsRevoked(revoked=1)

    @mutation(
        "Change the password, end the other sessions and every mailed link, and rotate this "
        "session's refresh token (the new tokens are in the answer).",
        access=PASSWORD_CHANGER,
    )
    async def change_password(
        self, info: Info[Context, None], input: ChangePasswordInput
    ) -> ChangePasswordResult:
        principal = await _password_changer(info)
        changed = await auth.change_password(
            info.context.deps,
            principal=principal,
            current_password=input.current_password,
            new_password=input.new_password,
        )
        if changed.tokens is None:
            assert changed.enrollment is not None  # noqa: S101 (no tokens: an enrolment instead)
            return MfaEnrollmentRequired.from_step(changed.enrollment)
        return PasswordChanged(
            revoked=changed.sessions_revoked,
            tokens=AuthPayload.from_pair(changed.tokens, cookie_mode=False),
        )

    @mutation(
        "Change the caller's profile; a new username needs the current password.",
        access=SIGNED_IN,
    )
    async def update_profile(
        self, info: Info[Context, None], input: UpdateProfileInput
    ) -> UpdateProfileResult:
        principal = await info.context.require_principal()
        user = await accounts.update_profile(
            info.context.deps,
            principal=principal,
            profile=_profile(input),
            meta=info.context.meta,
            current_password=input.current_password,
        )
        return UserPayload(user=User.from_model(user))

    @mutation(
        "Make this session act in another tenant the caller is a member of (`tenantId` null: "
        "in none) and issue its new tokens; the session's earlier tokens stop working. A "
        "tenant the caller is not a member of (or that is inactive) is NotFound.",
        access=SIGNED_IN,
    )
    async def switch_tenant(
        self, info: Info[Context, None], tenant_id: strawberry.ID | None
    ) -> SwitchTenantResult:
        principal = await info.context.require_principal()
        pair = await auth.switch_tenant(
            info.context.deps,
            principal=principal,
            tenant_id=parse_id(tenant_id, field="tenantId") if tenant_id is not None else None,
        )
        return AuthPayload.from_pair(pair, cookie_mode=False)

    @mutation("End one of the caller's sessions.", access=SIGNED_IN)
    async def revoke_session(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RevokeSessionResult:
        principal = await info.context.require_principal()
        await sessions.revoke_session(
            info.context.deps, principal=principal, session_id=parse_id(id)
        )
        return SessionsRevoked(revoked=1)

    @mutation("End every session of the caller but this one.", access=SIGNED_IN)
    async def revoke_other_sessions(self, info: Info[Context, None]) -> SessionsRevoked:
        principal = await info.context.require_principal()
        revoked = await sessions.revoke_other_sessions(info.context.deps, principal=principal)
        return SessionsRevoked(revoked=revoked)
