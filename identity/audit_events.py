"""The catalogue of audit event types: every ``AuditEvent.event_type`` the service writes.

``identity.services.audit.record`` takes only members of ``EventType``, so an event is named
here once, with a one-line description, before any code can write it. The member's value is
the name stored in ``audit_events.event_type`` and read by clients, tests and (later) the audit
query and export: values are stable and are never renamed. Two names predate the dotted
``area.action`` rule and are kept as stored: ``logout`` (no area) and ``users.bulk_action``
(plural, next to ``user.*``); new events follow the rule.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    """An audit event type: the value is the stored name, ``description`` what it records."""

    description: str

    def __new__(cls, value: str, description: str) -> EventType:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    # Signing in and out, tokens
    LOGIN_SUCCEEDED = "login.succeeded", "A login (password or magic link) opened a session."
    LOGIN_FAILED = (
        "login.failed",
        "A password login was refused: unknown account or wrong password.",
    )
    LOGIN_REFUSED = (
        "login.refused",
        "A login was refused before or despite the password: locked or disabled.",
    )
    ACCOUNT_LOCKED = "account.locked", "Too many failed logins locked the account for a while."
    LOGOUT = "logout", "The caller ended their current session."
    TOKEN_REFRESHED = "token.refreshed", "A refresh token was exchanged for a new token pair."
    TOKEN_REFRESH_FAILED = (
        "token.refresh_failed",
        "A refresh token was refused (unknown, expired or revoked).",
    )
    TOKEN_REUSE_DETECTED = (
        "token.reuse_detected",
        "A used refresh token came back; its session was ended.",
    )
    REAUTHENTICATION_FAILED = (
        "reauthentication.failed",
        "A sensitive change was refused: the current password was wrong.",
    )

    # Passwords and mailed links
    PASSWORD_CHANGED = (
        "password.changed",
        "The user changed their password, giving the current one.",
    )
    PASSWORD_RESET_REQUESTED = "password.reset_requested", "A password-reset link was mailed."
    PASSWORD_RESET = "password.reset", "A password was set through a password-reset link."
    MAGIC_LINK_REQUESTED = "magic_link.requested", "A magic sign-in link was mailed."
    ONE_TIME_TOKEN_INVALID = (
        "one_time_token.invalid",
        "A mailed link was refused: unknown, another purpose, replaced or unbound.",
    )
    ONE_TIME_TOKEN_EXPIRED = (
        "one_time_token.expired",
        "A mailed link was refused because it had expired.",
    )
    ONE_TIME_TOKEN_REUSE_DETECTED = (
        "one_time_token.reuse_detected",
        "A mailed link that was already used came back.",
    )

    # Accounts and email addresses
    USER_REGISTERED = (
        "user.registered",
        "An account was created by sign-up, magic link or the create-admin command.",
    )
    USER_PROFILE_UPDATED = "user.profile_updated", "The user changed their own profile."
    USER_PROMOTED = (
        "user.promoted",
        "The create-admin command made an existing account a super-admin.",
    )
    EMAIL_VERIFICATION_SENT = "email.verification_sent", "An email-verification link was mailed."
    EMAIL_VERIFIED = "email.verified", "The user proved their email address."
    EMAIL_ADDRESS_IN_USE = (
        "email.address_in_use",
        "Someone tried to take an address an account already has; its owner was told.",
    )
    EMAIL_CHANGE_REQUESTED = (
        "email.change_requested",
        "A link to confirm a new email address was mailed.",
    )
    EMAIL_CHANGED = "email.changed", "The user confirmed and took a new email address."
    ACCOUNT_CLAIMED = (
        "account.claimed",
        "A mailed link proved an unproven account's address; its password and sessions ended.",
    )

    # The caller's sessions and devices
    SESSION_REVOKED = "session.revoked", "The user ended one of their sessions."
    SESSION_REVOKED_OTHERS = (
        "session.revoked_others",
        "The user ended all their sessions but the current one.",
    )
    SESSION_REVOKED_ALL = (
        "session.revoked_all",
        "The user ended all their sessions and outstanding mailed links.",
    )
    DEVICE_REMOVED = "device.removed", "The user ended every session of one device."

    # User administration
    USER_CREATED = "user.created", "An administrator created a user."
    USER_UPDATED = "user.updated", "An administrator changed a user's profile or account fields."
    USER_LOCKED = "user.locked", "An administrator locked a user."
    USER_UNLOCKED = "user.unlocked", "An administrator unlocked a user."
    USER_ACTIVATED = "user.activated", "An administrator activated a user."
    USER_DEACTIVATED = "user.deactivated", "An administrator deactivated a user."
    USER_DELETED = "user.deleted", "An administrator deleted a user."
    USER_ROLE_CHANGED = "user.role_changed", "An administrator changed a user's primary role."
    USER_PERMISSIONS_SET = (
        "user.permissions_set",
        "An administrator replaced a user's direct permissions.",
    )
    USERS_BULK_ACTION = (
        "users.bulk_action",
        "An administrator applied one action to several users (one row per call).",
    )
    USER_ROLES_ASSIGNED = "user.roles_assigned", "An administrator gave a user additional roles."
    USER_ROLES_REMOVED = "user.roles_removed", "An administrator took additional roles from a user."

    # Roles and permissions
    ROLE_CREATED = "role.created", "A role was created."
    ROLE_UPDATED = "role.updated", "A role's name, description or active flag changed."
    ROLE_DELETED = "role.deleted", "A role was deleted."
    ROLE_PERMISSIONS_GRANTED = "role.permissions_granted", "Permissions were granted to a role."
    ROLE_PERMISSIONS_REVOKED = "role.permissions_revoked", "Permissions were revoked from a role."
    PERMISSION_CREATED = "permission.created", "A custom permission was created."
    PERMISSION_UPDATED = "permission.updated", "A custom permission was renamed or described anew."
    PERMISSION_DELETED = (
        "permission.deleted",
        "A custom permission and every grant of it were deleted.",
    )

    # Service
    SETTING_UPDATED = "setting.updated", "A runtime setting was changed."
    KEY_ROTATED = "key.rotated", "A new token-signing key was added."

    # Invitations
    INVITATION_CREATED = "invitation.created", "An invitation to join a tenant was mailed."
    INVITATION_RESENT = "invitation.resent", "An invitation was mailed again with a new token."
    INVITATION_REVOKED = "invitation.revoked", "A pending invitation was revoked."
    INVITATION_ACCEPTED = (
        "invitation.accepted",
        "An invitation was accepted: its address joined the tenant.",
    )

    # Locations
    LOCATION_CREATED = "location.created", "A location was created in a tenant."
    LOCATION_UPDATED = "location.updated", "A location's fields changed."
    LOCATION_DELETED = "location.deleted", "A location and its assignments were deleted."
    LOCATION_USERS_ASSIGNED = (
        "location.users_assigned",
        "Locations were assigned to a user, or their primary location changed.",
    )
    LOCATION_USER_REMOVED = "location.user_removed", "A user was taken off a location."

    # Active tenant
    SESSION_TENANT_SWITCHED = (
        "session.tenant_switched",
        "A session switched the tenant it acts in (new tokens for the same session).",
    )

    # Tenants
    TENANT_CREATED = "tenant.created", "A tenant was created, with its admin role."
    TENANT_UPDATED = "tenant.updated", "A tenant's fields or settings changed."
    TENANT_DEACTIVATED = (
        "tenant.deactivated",
        "A tenant was deactivated: the sessions acting in it were ended.",
    )
    TENANT_DELETED = (
        "tenant.deleted",
        "A tenant was deleted with its memberships, roles, locations and invitations.",
    )
    TENANT_MEMBER_ADDED = "tenant.member_added", "An administrator added a member to a tenant."
    TENANT_MEMBER_REMOVED = (
        "tenant.member_removed",
        "An administrator removed a member from a tenant (their sessions in it ended).",
    )

    # MFA: trusted devices
    MFA_DEVICE_TRUSTED = (
        "mfa.device.trusted",
        "A device was trusted: its logins skip the second factor until the trust expires.",
    )
    MFA_DEVICE_TRUST_REVOKED = (
        "mfa.device.trust_revoked",
        "A device's trust was revoked (by its user, its removal, a password change or reset, "
        "or MFA turned off).",
    )

    # MFA: factors and their management
    MFA_TOTP_SETUP = (
        "mfa.totp.setup",
        "A TOTP secret was issued for enrolment (nothing enabled until a code proves it).",
    )
    MFA_ENABLED = "mfa.enabled", "A second factor (TOTP) was enabled; backup codes were issued."
    MFA_DISABLED = (
        "mfa.disabled",
        "MFA was turned off by its user: every factor, backup code and device trust removed.",
    )
    MFA_RESET = (
        "mfa.reset",
        "An administrator reset a user's MFA: every factor, backup code and device trust removed.",
    )
    MFA_BACKUP_CODES_REPLACED = (
        "mfa.backup_codes.replaced",
        "A user's backup codes were replaced by a new set of ten.",
    )
    MFA_BACKUP_CODE_USED = "mfa.backup_code.used", "A single-use backup code was spent."
    MFA_PREFERRED_CHANGED = (
        "mfa.preferred_changed",
        "A user chose the second factor offered first at login.",
    )
    SESSION_REAUTHENTICATED = (
        "session.reauthenticated",
        "A session proved its user again (password or second factor): recent authentication.",
    )

    # MFA: WebAuthn and passkeys
    MFA_WEBAUTHN_REGISTERED = (
        "mfa.webauthn.registered",
        "A security key or passkey was registered to an account.",
    )
    MFA_WEBAUTHN_REMOVED = (
        "mfa.webauthn.removed",
        "A security key or passkey was removed from an account by its user.",
    )
    MFA_WEBAUTHN_CLONE_SUSPECTED = (
        "mfa.webauthn.clone_suspected",
        "A valid WebAuthn signature whose sign counter did not advance was refused (a cloned "
        "authenticator).",
    )

    # MFA: the login step
    MFA_CHALLENGE_ISSUED = (
        "mfa.challenge.issued",
        "A first factor succeeded for an account with MFA: a pending login waits for the second.",
    )
    MFA_CHALLENGE_FAILED = (
        "mfa.challenge.failed",
        "A wrong second factor at login (counted toward the account's lockout; the fifth kills "
        "the pending login).",
    )
    MFA_EMAIL_CODE_SENT = "mfa.email_code.sent", "A login code was mailed for a pending login."
    MFA_EMAIL_ENABLED = "mfa.email.enabled", "Mailed login codes were enabled as a second factor."
    MFA_EMAIL_DISABLED = "mfa.email.disabled", "Mailed login codes were turned off."
    MFA_ENROLLMENT_REQUIRED = (
        "mfa.enrollment.required",
        "A first factor succeeded for an account that must have MFA and has none: an enrolment "
        "token instead of a session.",
    )
