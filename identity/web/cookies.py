"""Browser mode: the refresh token in an HttpOnly cookie, CSRF by double submit."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from identity.config import Settings
from identity.errors import CsrfFailed
from identity.security.csrf import csrf_matches
from identity.services.tokens import TokenPair

REFRESH_COOKIE = "refresh_token"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def set_auth_cookies(response: Response, pair: TokenPair, *, settings: Settings, path: str) -> None:
    max_age = settings.session_ttl_days * 86400
    response.set_cookie(
        REFRESH_COOKIE,
        pair.refresh_token,
        max_age=max_age,
        path=path,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
    )
    response.set_cookie(
        CSRF_COOKIE,
        pair.csrf_token,
        max_age=max_age,
        path="/",
        httponly=False,
        secure=settings.cookie_secure,
        samesite="strict",
    )


def clear_auth_cookies(response: Response, *, settings: Settings, path: str) -> None:
    response.delete_cookie(REFRESH_COOKIE, path=path, secure=settings.cookie_secure, httponly=True)
    response.delete_cookie(CSRF_COOKIE, path="/", secure=settings.cookie_secure)


def cookie_refresh_token(request: HTTPConnection) -> str | None:
    """The refresh cookie, accepted only with the CSRF header echoing the CSRF cookie."""
    token = request.cookies.get(REFRESH_COOKIE)
    if token is None:
        return None
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER)):
        raise CsrfFailed()
    return token
