"""SQLModel tables, one module per aggregate; importing this package registers them all."""

from sqlmodel import SQLModel

from identity.models.audit import AuditEvent
from identity.models.invitation import Invitation, InvitationStatus
from identity.models.location import Location, UserLocation
from identity.models.mail_quota import MailQuota
from identity.models.mfa import (
    BackupCode,
    ChallengeKind,
    MfaChallenge,
    MfaMethod,
    TrustedDevice,
    UserMfa,
    WebauthnCredential,
)
from identity.models.one_time_token import OneTimeToken, TokenPurpose
from identity.models.outbox import MailAttempt, MailStatus, OutboxMail
from identity.models.rbac import PermissionRow, Role, RolePermission, UserPermission, UserRole
from identity.models.runtime_setting import RuntimeSetting
from identity.models.session import AuthSession, RefreshToken
from identity.models.signing_key import SigningKey
from identity.models.tenant import Tenant, TenantMember
from identity.models.throttle import LoginThrottle
from identity.models.user import User, UserStatus, set_primary_role

metadata = SQLModel.metadata

__all__ = [
    "AuditEvent",
    "AuthSession",
    "BackupCode",
    "ChallengeKind",
    "Invitation",
    "InvitationStatus",
    "Location",
    "LoginThrottle",
    "MailAttempt",
    "MailQuota",
    "MailStatus",
    "MfaChallenge",
    "MfaMethod",
    "OneTimeToken",
    "OutboxMail",
    "PermissionRow",
    "RefreshToken",
    "Role",
    "RolePermission",
    "RuntimeSetting",
    "SigningKey",
    "Tenant",
    "TenantMember",
    "TokenPurpose",
    "TrustedDevice",
    "User",
    "UserLocation",
    "UserMfa",
    "UserPermission",
    "UserRole",
    "UserStatus",
    "WebauthnCredential",
    "metadata",
    "set_primary_role",
]
