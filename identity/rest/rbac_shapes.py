"""JSON shapes of roles, permissions, runtime settings and the services report."""

from __future__ import annotations

from typing import Any

from identity.clock import isoformat_z
from identity.models import PermissionRow, Role
from identity.rest.shapes import when
from identity.services.roles import RoleDetails
from identity.services.runtime_settings import SettingValue
from identity.services.service_status import ServiceReport


def permission_json(row: PermissionRow) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "resource": row.resource,
        "action": row.action,
        "description": row.description,
        "is_system": row.is_system,
        "created_at": when(row.created_at),
        "updated_at": when(row.updated_at),
    }


def role_json(role: Role, permissions: list[PermissionRow] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(role.id),
        "name": role.name,
        "description": role.description,
        "is_active": role.is_active,
        "is_system": role.is_system,
        "tenant_id": str(role.tenant_id) if role.tenant_id else None,
        # Seed 004 scopes roles by organization: tenants are its organizations.
        "organization_id": str(role.tenant_id) if role.tenant_id else None,
        "created_at": when(role.created_at),
        "updated_at": when(role.updated_at),
    }
    if permissions is not None:
        body["permissions"] = [permission_json(row) for row in permissions]
    return body


def role_details_json(details: RoleDetails) -> dict[str, Any]:
    return role_json(details.role, details.permissions)


def setting_json(setting: SettingValue) -> dict[str, Any]:
    spec = setting.definition
    return {
        "key": setting.key,
        "value": setting.value,
        "default": setting.default,
        "type": spec.kind,
        "description": spec.description,
        "public": spec.public,
        "minimum": spec.minimum,
        "maximum": spec.maximum,
        "is_default": setting.is_default,
        "updated_at": when(setting.updated_at),
        "updated_by": str(setting.updated_by) if setting.updated_by else None,
    }


def service_report_json(report: ServiceReport, *, version: str, environment: str) -> dict[str, Any]:
    return {
        "status": report.status.value,
        "version": version,
        "environment": environment,
        "uptime_seconds": report.uptime_seconds,
        "timestamp": isoformat_z(report.checked_at),
        "services": [
            {
                "name": component.name,
                "status": component.status.value,
                "message": component.message,
                "details": component.details,
            }
            for component in report.components
        ],
    }
