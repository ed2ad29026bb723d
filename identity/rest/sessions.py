"""My sessions, login history and devices: seed 002's ``/v1/auth/sessions*``, seed 003's
``/v1/auth/revoke-all-sessions``, ``/v1/sessions*`` and ``/v1/devices*``."""

from __future__ import annotations

from typing import Any

from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.params import Id
from identity.rest.responses.account import (
    DeviceOut,
    DevicesOut,
    HistoryOut,
    Message,
    RevokedOut,
    SessionsCountedOut,
    SessionsEndedOut,
    SessionsOut,
)
from identity.rest.routing import row
from identity.rest.shapes import device_json, history_json, session_json
from identity.services import sessions


async def _my_sessions(principal: PrincipalDep, deps: DepsDep) -> list[dict[str, Any]]:
    found = await sessions.active_sessions(deps, user_id=principal.user_id)
    return [session_json(one, current_id=principal.session_id) for one in found]


async def list_sessions(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    return {"sessions": await _my_sessions(principal, deps)}


async def list_sessions_counted(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    items = await _my_sessions(principal, deps)
    return {"sessions": items, "count": len(items)}


async def revoke_session(session_id: Id, principal: PrincipalDep, deps: DepsDep) -> dict[str, str]:
    await sessions.revoke_session(deps, principal=principal, session_id=session_id)
    return {"message": "Session revoked"}


async def revoke_other_sessions(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    count = await sessions.revoke_other_sessions(deps, principal=principal)
    return {"message": "Other sessions revoked", "revoked": count}


async def revoke_all_sessions(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    count = await sessions.revoke_all_sessions(deps, principal=principal)
    return {"message": "All sessions revoked", "revoked": count}


async def history(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    events = await sessions.login_history(deps, user_id=principal.user_id)
    items = [history_json(event) for event in events]
    return {"history": items, "count": len(items)}


async def list_devices(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    found = await sessions.devices(deps, principal=principal)
    items = [device_json(one, current_id=principal.session_id) for one in found]
    return {"devices": items, "count": len(items)}


async def get_device(device_id: str, principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    found = await sessions.device(deps, principal=principal, device_id=device_id)
    return device_json(found, current_id=principal.session_id)


async def remove_device(device_id: str, principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    count = await sessions.remove_device(deps, principal=principal, device_id=device_id)
    return {"message": "Device removed", "sessions_revoked": count}


ROUTES = (
    row(
        "GET",
        "/v1/auth/sessions",
        list_sessions,
        "My active sessions",
        seeds="002",
        response=SessionsOut,
    ),
    row(
        "DELETE",
        "/v1/auth/sessions/{session_id}",
        revoke_session,
        "End one of my sessions",
        seeds="002",
        response=Message,
    ),
    row(
        "DELETE",
        "/v1/auth/sessions",
        revoke_other_sessions,
        "End all my sessions but this one",
        seeds="002",
        response=RevokedOut,
    ),
    row(
        "POST",
        "/v1/auth/revoke-all-sessions",
        revoke_all_sessions,
        "End all my sessions",
        seeds="003",
        response=RevokedOut,
    ),
    row(
        "GET",
        "/v1/sessions",
        list_sessions_counted,
        "My active sessions",
        seeds="003",
        response=SessionsCountedOut,
    ),
    row(
        "GET", "/v1/sessions/history", history, "My login history", seeds="003", response=HistoryOut
    ),
    row("GET", "/v1/devices", list_devices, "My devices", seeds="003", response=DevicesOut),
    row(
        "GET",
        "/v1/devices/{device_id}",
        get_device,
        "One of my devices",
        seeds="003",
        response=DeviceOut,
    ),
    row(
        "DELETE",
        "/v1/devices/{device_id}",
        remove_device,
        "Log out one of my devices",
        seeds="003",
        response=SessionsEndedOut,
    ),
)
