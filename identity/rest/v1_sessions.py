"""Seed 003: ``/v1/sessions`` and ``/v1/devices``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from identity.rest.deps import DepsDep, PrincipalDep
from identity.rest.shapes import device_json, history_json, session_json
from identity.services import sessions

router = APIRouter(prefix="/v1", tags=["sessions and devices (seed 003)"])


@router.get("/sessions", summary="My active sessions")
async def list_sessions(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    found = await sessions.active_sessions(deps, user_id=principal.user_id)
    items = [session_json(one, current_id=principal.session_id) for one in found]
    return {"sessions": items, "count": len(items)}


@router.get("/sessions/history", summary="My login history")
async def history(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    events = await sessions.login_history(deps, user_id=principal.user_id)
    items = [history_json(event) for event in events]
    return {"history": items, "count": len(items)}


@router.get("/devices", summary="My devices")
async def list_devices(principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    found = await sessions.devices(deps, principal=principal)
    items = [device_json(one, current_id=principal.session_id) for one in found]
    return {"devices": items, "count": len(items)}


@router.get("/devices/{device_id}", summary="One of my devices")
async def get_device(device_id: str, principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    found = await sessions.device(deps, principal=principal, device_id=device_id)
    return device_json(found, current_id=principal.session_id)


@router.delete("/devices/{device_id}", summary="Log out one of my devices")
async def remove_device(device_id: str, principal: PrincipalDep, deps: DepsDep) -> dict[str, Any]:
    count = await sessions.remove_device(deps, principal=principal, device_id=device_id)
    return {"message": "Device removed", "sessions_revoked": count}
