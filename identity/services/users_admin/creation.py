"""Creating an account with a password the policy accepts, a role and direct grants the
caller holds."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from identity.audit_events import EventType
from identity.errors import Conflict, NotFound, TenantInactive, ValidationFailed
from identity.models import Tenant, User, UserPermission, UserStatus
from identity.permissions import USER, Permission
from identity.principal import Principal
from identity.services import runtime_settings
from identity.services.accounts import (
    _ensure_unique,
    new_account,
    normalize_email,
    normalize_username,
)
from identity.services.deps import Deps
from identity.services.password_rules import check_new_password
from identity.services.tenants import membership
from identity.services.text_rules import identifier_key
from identity.services.users_admin.act import (
    _Act,
    _authorize,
    _no_escalation,
    _permission_ids,
    _role_named,
    _status,
    _text,
)
from identity.services.users_admin.shapes import PROFILE_FIELDS, NewUser


def _initial_status(status: str | None, is_active: bool | None) -> tuple[UserStatus, bool]:
    if status is None:
        active = True if is_active is None else is_active
        return (UserStatus.ACTIVE if active else UserStatus.INACTIVE), active
    parsed = _status(status)
    return parsed, (parsed != UserStatus.INACTIVE) if is_active is None else is_active


async def _tenant_joined(act: _Act, new: NewUser) -> Tenant | None:
    """The tenant the new account joins, locked (``membership.join`` counts its members under
    the lock): the one named, and for a tenant's administrator always theirs (another named
    one is not found)."""
    wanted = new.tenant_id
    if not act.reach.everywhere:
        if wanted is not None and wanted != act.reach.tenant_id:
            raise NotFound("Organization not found", field="organization_id")
        wanted = act.reach.tenant_id
    if wanted is None:
        return None
    tenant = await membership.locked_tenant(act.session, wanted)
    if not tenant.is_active:
        raise TenantInactive()
    return tenant


async def create_user(
    deps: Deps, *, principal: Principal | None, new: NewUser, admin: bool = False
) -> User:
    """Create an account with a password the policy accepts; ``admin`` refuses role ``user``."""
    needed = [Permission.USERS_WRITE]
    if new.permissions:
        needed.append(Permission.PERMISSIONS_WRITE)
    principal = await _authorize(deps, principal, *needed)
    email = normalize_email(new.email)
    username = normalize_username(new.username)
    first_name = _text("first_name", new.first_name, PROFILE_FIELDS["first_name"])
    last_name = _text("last_name", new.last_name, PROFILE_FIELDS["last_name"])
    display_name = _text("display_name", new.display_name, PROFILE_FIELDS["display_name"])
    role = (new.role or USER).strip()
    if admin and role == USER:
        raise ValidationFailed("An administrator's role cannot be 'user'", field="role")
    status, is_active = _initial_status(new.status, new.is_active)
    policy = await runtime_settings.current(deps)  # administrators tune the minimum length
    await check_new_password(
        deps, new.password, email=email, username=username, min_length=policy.password_min_length
    )
    password_hash = await deps.hasher.hash(new.password)
    now = deps.clock.now()
    try:
        async with deps.database.unit_of_work() as session:
            act = await _Act.begin(session, principal, needed, now)
            held = act.held
            if role != USER:
                act.everywhere_only(f"give the global role '{role}'")
            if new.permissions:
                act.everywhere_only("grant permissions directly")
            tenant = await _tenant_joined(act, new)
            primary, granted = await _role_named(session, role)
            _no_escalation(held, granted, what=f"the role '{role}'", field="role")
            grants = await _permission_ids(session, new.permissions)
            _no_escalation(held, grants, what="these permissions", field="permissions")
            await _ensure_unique(
                session,
                email_key=identifier_key(email),
                username_key=identifier_key(username) if username else None,
                exclude=None,
            )
            user = new_account(
                email=email,
                username=username,
                primary=primary,
                now=now,
                status=status,
                is_active=is_active,
                email_verified=new.email_verified,
                email_verified_at=now if new.email_verified else None,
                password_hash=password_hash,
                password_changed_at=now,
                must_change_password=new.must_change_password,
                locked_at=now if status == UserStatus.LOCKED else None,
                first_name=first_name,
                last_name=last_name,
                display_name=display_name,
            )
            session.add(user)
            await session.flush()
            session.add_all(
                UserPermission(user_id=user.id, permission_id=permission_id, created_at=now)
                for permission_id in grants.values()
            )
            if tenant is not None:
                await membership.join(session, tenant=tenant, user=user, now=now)
            act.audit(
                EventType.USER_CREATED,
                user.id,
                {
                    "new": {
                        "email": email,
                        "username": username,
                        "role": role,
                        "status": status,
                        "is_active": is_active,
                        "permissions": sorted(grants),
                        "tenant_id": str(tenant.id) if tenant else None,
                    }
                },
            )
    except IntegrityError as exc:
        raise Conflict("Email or username already registered", field="email") from exc
    return user
