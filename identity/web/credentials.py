"""Which credential a request carries and whom it stands for: one place for every surface.

REST dependencies (``identity.rest.deps``), the GraphQL context (``schema.context``) and the
session routes of both surfaces call these two functions; none of them reads the
``Authorization`` header or the refresh cookie itself.

- ``principal_from``: the caller. Each transport that can carry a credential is a member of
  ``Transport``; ``presented`` finds the first one the request carries and ``principal_from``
  hands it to the service that checks that kind of credential (today ``auth.authenticate``
  for a bearer access token). An API key is one more member, one more branch in
  ``presented`` (its header) and one more case in ``principal_from`` (its service, which
  builds a ``Principal`` like ``auth.authenticate`` does). Impersonation is a case that wraps
  the real caller's principal into the impersonated one, after the real caller is checked.
- ``refresh_credential``: the refresh token of the session routes (refresh, logout), from
  the body, or from the browser's HttpOnly cookie, which is accepted only with the CSRF
  header echoing the CSRF cookie (double submit).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from starlette.requests import HTTPConnection

from identity.errors import TokenInvalid
from identity.principal import Principal, RequestMeta
from identity.services import auth
from identity.services.deps import Deps
from identity.services.mfa import enrollment
from identity.web.cookies import cookie_refresh_token
from identity.web.request import bearer_token


class Transport(StrEnum):
    """How a credential reached us."""

    BEARER = "bearer"
    """``Authorization: Bearer <access token>`` (a JWT this service signed)."""


@dataclass(frozen=True, slots=True)
class Credential:
    transport: Transport
    secret: str


@dataclass(frozen=True, slots=True)
class RefreshCredential:
    token: str
    from_cookie: bool
    """Browser mode: the answer sets new cookies instead of returning the refresh token."""


def presented(connection: HTTPConnection) -> Credential | None:
    """The credential the request carries, if any."""
    token = bearer_token(connection)
    if token is not None:
        return Credential(Transport.BEARER, token)
    return None


async def principal_from(
    connection: HTTPConnection,
    deps: Deps,
    meta: RequestMeta,
    *,
    for_password_change: bool = False,
    for_mfa_enrollment: bool = False,
) -> Principal | None:
    """The caller, or None when the request carries no credential; a credential that does not
    hold raises its ``IdentityError`` (TOKEN_INVALID, TOKEN_EXPIRED, PASSWORD_CHANGE_REQUIRED).

    ``for_password_change`` also accepts a token that may only change the password;
    ``for_mfa_enrollment`` also an enrolment token (``identity.services.mfa.enrollment``:
    TOTP setup and enable, email codes on), which every other caller refuses.
    """
    credential = presented(connection)
    if credential is None:
        return None
    match credential.transport:
        case Transport.BEARER if enrollment.is_enrollment_token(credential.secret):
            if not for_mfa_enrollment:
                raise TokenInvalid("An enrolment token may only set up a second factor")
            return await enrollment.principal(deps, token=credential.secret, meta=meta)
        case Transport.BEARER:
            return await auth.authenticate(
                deps,
                access_token=credential.secret,
                meta=meta,
                for_password_change=for_password_change,
            )


def refresh_credential(
    connection: HTTPConnection, body_token: str | None
) -> RefreshCredential | None:
    """The refresh token from the body, else from the cookie (CsrfFailed without the CSRF
    header matching the CSRF cookie); None when neither carries one."""
    if body_token:
        return RefreshCredential(body_token, from_cookie=False)
    token = cookie_refresh_token(connection)
    return RefreshCredential(token, from_cookie=True) if token else None
