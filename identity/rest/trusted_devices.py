"""Trusted devices (seed 003): trust this device, revoke its trust, trust or untrust a device
of the devices list.

The device token is answered once in the body and, in cookie mode (the request carries the
CSRF or refresh cookie a cookie-mode login sets), also set as the HttpOnly cookie
``trusted.COOKIE_NAME`` on ``/`` so every login path receives it. A token the request presents
(that cookie, or ``device_token`` in the body) names the trust a new one replaces or the one
revoked.
"""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Interval
from fastapi import Request, Response
from pydantic import BeforeValidator, Field, StrictInt

from identity.config import Settings
from identity.rest.bodies import Body
from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.responses.trusted_devices import DeviceTrustedOut, TrustRevokedOut
from identity.rest.routing import row
from identity.rest.shapes import when
from identity.services.mfa import trusted
from identity.web.cookies import CSRF_COOKIE, REFRESH_COOKIE


def _whole(value: object) -> object:
    """54.0 is the JSON number 54 (JSON Schema's integer); 1.5, "30" and true stay refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class TrustBody(Body):
    days: (
        Annotated[StrictInt, Interval(ge=1, le=trusted.MAX_DAYS), BeforeValidator(_whole)] | None
    ) = Field(
        None,
        description="How long to trust the device: 1 to trusted_device_max_days (90); "
        "default trusted_device_days (30).",
    )
    device_token: str | None = Field(
        None, max_length=1024, description="This device's current device token, if it has one."
    )


class RevokeTrustBody(Body):
    device_token: str | None = Field(
        None, max_length=1024, description="This device's device token, if it has one."
    )


def _cookie_mode(request: Request) -> bool:
    return CSRF_COOKIE in request.cookies or REFRESH_COOKIE in request.cookies


def _presented(request: Request, sent: str | None) -> str | None:
    return sent or request.cookies.get(trusted.COOKIE_NAME)


def set_trust_cookie(response: Response, token: str, *, settings: Settings, seconds: int) -> None:
    response.set_cookie(
        trusted.COOKIE_NAME,
        token,
        max_age=seconds,
        path="/",
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
    )


def clear_trust_cookie(response: Response, *, settings: Settings) -> None:
    response.delete_cookie(
        trusted.COOKIE_NAME, path="/", secure=settings.cookie_secure, httponly=True
    )


async def _trust(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    deps: DepsDep,
    body: TrustBody | None,
    device_id: str | None,
) -> dict[str, Any]:
    sent = body or TrustBody()
    issued = await trusted.trust_device(
        deps,
        principal=principal,
        days=sent.days,
        device_id=device_id,
        token=_presented(request, sent.device_token),
    )
    device = issued.device
    if _cookie_mode(request):
        seconds = int((device.expires_at - device.created_at).total_seconds())
        set_trust_cookie(response, issued.token, settings=deps.settings, seconds=seconds)
    return {
        "message": "Device trusted",
        "device_token": issued.token,
        "device_id": device.device_key,
        "trusted_until": when(device.expires_at),
        "days": (device.expires_at - device.created_at).days,
    }


async def trust_this_device(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    deps: DepsDep,
    body: TrustBody | None = None,
) -> dict[str, Any]:
    return await _trust(request, response, principal, deps, body, None)


async def trust_device(
    device_id: str,
    request: Request,
    response: Response,
    principal: PrincipalDep,
    deps: DepsDep,
    body: TrustBody | None = None,
) -> dict[str, Any]:
    return await _trust(request, response, principal, deps, body, device_id)


async def revoke_this_device(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    deps: DepsDep,
    body: RevokeTrustBody | None = None,
) -> dict[str, Any]:
    token = _presented(request, body.device_token if body else None)
    count = await trusted.revoke_trust(deps, principal=principal, token=token)
    clear_trust_cookie(response, settings=deps.settings)
    return {"message": "Device trust revoked", "revoked": count}


async def untrust_device(device_id: str, principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    count = await trusted.revoke_trust(deps, principal=principal, device_id=device_id)
    return {"message": "Device trust revoked", "revoked": count}


ROUTES = (
    row(
        "POST",
        "/v1/auth/mfa/trust-device",
        trust_this_device,
        "Trust this device: its logins skip the second factor for `days`; needs recent "
        "authentication",
        seeds="003",
        response=DeviceTrustedOut,
    ),
    row(
        "POST",
        "/v1/auth/mfa/revoke-trust",
        revoke_this_device,
        "Revoke this device's trust",
        seeds="003",
        response=TrustRevokedOut,
    ),
    row(
        "POST",
        "/v1/devices/{device_id}/trust",
        trust_device,
        "Trust a device: only the device this request comes from (DEVICE_NOT_CURRENT); needs "
        "recent authentication",
        seeds="003",
        response=DeviceTrustedOut,
    ),
    row(
        "DELETE",
        "/v1/devices/{device_id}/trust",
        untrust_device,
        "Revoke a device's trust",
        seeds="003",
        response=TrustRevokedOut,
    ),
)
