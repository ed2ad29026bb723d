"""Accounts: registration, profiles, and the super-admin the CLI creates."""

from __future__ import annotations

import dataclasses
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.audit_events import EventType
from identity.errors import Conflict, SelfRegistrationClosed, ValidationFailed
from identity.models import Role, Tenant, User, UserStatus, set_primary_role
from identity.principal import Principal, RequestMeta
from identity.ratelimit import Budget
from identity.services import audit, one_time, request_budgets, runtime_settings
from identity.services._kit import get_or_404
from identity.services.deps import Deps
from identity.services.held import global_role
from identity.services.password_rules import check_new_password
from identity.services.tenants import membership
from identity.services.text_rules import clean_text, https_url
from identity.services.text_rules import identifier_key as identifier_key

SUPERADMIN_ROLE = "superadmin"
MAX_NAME_LENGTH = 150
MAX_EMAIL_LENGTH = 320
# The columns of identity/models/user.py.
MAX_LENGTHS = {
    "first_name": 150,
    "last_name": 150,
    "display_name": 300,
    "organization": 200,
    "subscription_plan": 100,
    "avatar_url": 2048,
}


class PlanNotSelectable(ValidationFailed):
    """A subscription plan the caller may not choose: administrators set plans."""

    code = "PLAN_NOT_SELECTABLE"
    default_message = "This subscription plan cannot be chosen here"


@dataclass(frozen=True, slots=True)
class Profile:
    """Profile fields a user may set; None leaves a field as it is."""

    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    username: str | None = None
    organization: str | None = None
    subscription_plan: str | None = None
    avatar_url: str | None = None


def normalize_email(email: str, *, field: str = "email") -> str:
    try:
        normalized = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationFailed("Invalid email format", field=field) from exc
    if len(identifier_key(normalized)) > MAX_EMAIL_LENGTH:
        raise ValidationFailed("Email address is too long", field=field)
    return normalized


# Scripts that may share one identifier (Unicode TS #39, "highly restrictive"): Japanese,
# Chinese and Korean writing mix Han with their own scripts, and Latin with any of them.
_SCRIPT_SETS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_SCRIPT_ALIASES = {"CJK": "HAN", "IDEOGRAPHIC": "HAN"}
_NO_SCRIPT = frozenset({"KATAKANA-HIRAGANA", "MODIFIER", "DIGIT"})


def _scripts(value: str) -> set[str]:
    """The scripts of the letters and digits in ``value``, named by their Unicode names."""
    found: set[str] = set()
    for char in value:
        if not unicodedata.category(char).startswith(("L", "N")):
            continue
        word = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
        if word in _NO_SCRIPT:
            continue
        found.add(_SCRIPT_ALIASES.get(word, word))
    return found


def normalize_username(username: str | None) -> str | None:
    """The username as typed (trimmed), or None; refused when its folded key is ambiguous.

    Letters, digits, '.', '_' and '-' only, 150 at most (folded as well), and no mixing of
    scripts (a Cyrillic a, U+0430, among Latin letters imitates another account's name).
    """
    if username is None:
        return None
    username = username.strip()
    if not username:
        return None
    key = identifier_key(username)
    if (
        len(username) > MAX_NAME_LENGTH
        or len(key) > MAX_NAME_LENGTH
        or not all(char.isalnum() or char in "._-" for char in username)
    ):
        raise ValidationFailed(
            "Username may hold letters, digits, '.', '_' and '-' (150 at most)", field="username"
        )
    scripts = _scripts(key)
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in _SCRIPT_SETS):
        raise ValidationFailed(
            "Username must not mix scripts (for example Latin and Cyrillic letters)",
            field="username",
            details={"reason": "MIXED_SCRIPTS"},
        )
    return username


def checked_profile(profile: Profile) -> Profile:
    """The profile with every field checked by the shared rules (both surfaces call this).

    Names fit their columns and hold no control characters; ``avatar_url`` is an https URL
    ("" clears it). ``subscription_plan`` is checked by the caller, who knows who sets it.
    """
    avatar_url = profile.avatar_url
    if avatar_url is not None and avatar_url.strip():
        avatar_url = https_url(avatar_url, field="avatar_url", max_length=MAX_LENGTHS["avatar_url"])
    return dataclasses.replace(
        profile,
        display_name=clean_text(
            profile.display_name, field="display_name", max_length=MAX_LENGTHS["display_name"]
        ),
        first_name=clean_text(
            profile.first_name, field="first_name", max_length=MAX_LENGTHS["first_name"]
        ),
        last_name=clean_text(
            profile.last_name, field="last_name", max_length=MAX_LENGTHS["last_name"]
        ),
        organization=clean_text(
            profile.organization, field="organization", max_length=MAX_LENGTHS["organization"]
        ),
        subscription_plan=clean_text(
            profile.subscription_plan,
            field="subscription_plan",
            max_length=MAX_LENGTHS["subscription_plan"],
        ),
        username=normalize_username(profile.username),
        avatar_url=avatar_url,
    )


def registration_plan(plan: str | None, *, selectable: tuple[str, ...]) -> str | None:
    """The plan a self-registered account starts on: none (the default) or a selectable one."""
    if plan is None or not plan.strip():
        return None
    name = plan.strip().lower()
    if name not in selectable:
        raise PlanNotSelectable(
            "This subscription plan cannot be chosen at registration",
            field="subscription_plan",
        )
    return name


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """Seed 002 sends one ``name``; keep it whole and derive first and last names."""
    if not name or not name.strip():
        return None, None
    first, _, last = name.strip().partition(" ")
    # The name itself is kept whole (display_name); the derived parts fit their columns.
    return first[:MAX_NAME_LENGTH], last.strip()[:MAX_NAME_LENGTH] or None


async def find_by_identifier(session: AsyncSession, identifier: str) -> User | None:
    """An account by email or username, compared by their folded keys."""
    key = identifier_key(identifier)
    result = await session.execute(
        select(User).where(or_(col(User.email_key) == key, col(User.username_key) == key))
    )
    return result.scalars().first()


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(col(User.email_key) == identifier_key(email)))


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    return await get_or_404(session, User, user_id, message="User not found")


def new_account(
    *, email: str, primary: Role, now: datetime, username: str | None = None, **fields: Any
) -> User:
    """A new account's row (not added to the session): its folded identifier keys, its
    primary role, created and updated ``now``; ``fields`` are any other columns."""
    user = User(
        email=email,
        email_key=identifier_key(email),
        username=username,
        username_key=identifier_key(username) if username else None,
        role_id=primary.id,
        created_at=now,
        updated_at=now,
        **fields,
    )
    set_primary_role(user, primary)
    return user


async def _ensure_unique(
    session: AsyncSession,
    *,
    email_key: str | None,
    username_key: str | None,
    exclude: uuid.UUID | None,
) -> None:
    if email_key is not None:
        taken = await session.scalar(
            select(col(User.id)).where(col(User.email_key) == email_key, col(User.id) != exclude)
        )
        if taken is not None:
            raise Conflict("Email already registered", field="email")
    if username_key is not None:
        taken = await session.scalar(
            select(col(User.id)).where(
                col(User.username_key) == username_key, col(User.id) != exclude
            )
        )
        if taken is not None:
            raise Conflict("Username already taken", field="username")


async def _owner_of(session: AsyncSession, email_key: str) -> User | None:
    return await session.scalar(select(User).where(col(User.email_key) == email_key))


async def register(
    deps: Deps,
    *,
    email: str,
    password: str,
    profile: Profile,
    meta: RequestMeta,
    role: str = "user",
    self_service: bool = True,
    tenant_id: uuid.UUID | None = None,
) -> User:
    """A new account; ``self_service`` sign-ups are refused while registration is closed.

    With ``tenant_id`` (seed 004's ``organization_id``) the account joins that tenant
    (``membership.join``: TENANT_FULL when it has no room), which must be active and allow
    self-registration: otherwise SELF_REGISTRATION_NOT_ALLOWED, for an unknown tenant too.

    Registration and the password length follow the runtime settings (administrators change
    them while the service runs), not the environment alone. A self-registered account starts
    on no plan or a plan the runtime settings mark self-selectable.

    When ``registration_reveals_existing`` is off, a taken address answers like a free one:
    the returned user is never stored (it carries no credentials; registration hands out
    none) and the address's owner is mailed instead. The password is hashed either way, so
    both answers cost the same.
    """
    if self_service:
        await request_budgets.charge(deps, Budget.REGISTER, meta)
    values = await runtime_settings.current(deps)
    if self_service and not values.registration_enabled:
        raise ValidationFailed("Registration is closed", field="email")
    if tenant_id is not None:
        async with deps.database.read() as session:
            _open_to_registration(await session.get(Tenant, tenant_id))
    email = normalize_email(email)
    profile = checked_profile(profile)
    plan = profile.subscription_plan
    if self_service:
        plan = registration_plan(plan, selectable=values.self_selectable_plans)
    username = profile.username
    await check_new_password(
        deps,
        password,
        email=email,
        username=username,
        min_length=values.password_min_length,
    )
    password_hash = await deps.hasher.hash(password)
    now = deps.clock.now()
    fields: dict[str, Any] = {
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "display_name": profile.display_name,
        "organization": profile.organization,
        "subscription_plan": plan,
        "avatar_url": profile.avatar_url or None,
        "status": UserStatus.ACTIVE,
        "password_hash": password_hash,
        "password_changed_at": now,
    }
    conceal = self_service and not values.registration_reveals_existing
    user: User | None = None
    try:
        async with deps.database.unit_of_work() as session:
            primary = await _global_role(session, role)
            user = new_account(email=email, username=username, primary=primary, now=now, **fields)
            if conceal and await _told_the_owner(session, deps, user=user, meta=meta):
                return _unsaved(user)
            await _ensure_unique(
                session, email_key=user.email_key, username_key=user.username_key, exclude=None
            )
            tenant = None
            if tenant_id is not None:
                tenant = _open_to_registration(
                    await session.get(
                        Tenant, tenant_id, with_for_update=True, populate_existing=True
                    )
                )
            session.add(user)
            await session.flush()
            if tenant is not None:
                await membership.join(session, tenant=tenant, user=user, now=now)
            audit.record(
                session,
                event_type=EventType.USER_REGISTERED,
                now=now,
                meta=meta,
                actor_id=user.id,
                subject_id=user.id,
                resource="users",
                resource_id=str(user.id),
                details={"email": email},
                tenant_id=tenant_id,
            )
            if deps.settings.send_verification_on_register:
                await one_time.mail_verification(session, deps, user=user, meta=meta)
    except IntegrityError as exc:
        if conceal and user is not None:
            # A parallel registration took the address (or the username) first.
            async with deps.database.unit_of_work() as session:
                if await _told_the_owner(session, deps, user=user, meta=meta):
                    return _unsaved(user)
        raise Conflict("Email or username already registered", field="email") from exc
    return user


def _open_to_registration(tenant: Tenant | None) -> Tenant:
    """The tenant, when it takes self-registrations; one refusal whatever the reason."""
    if tenant is None or not tenant.is_active or not tenant.allow_self_registration:
        raise SelfRegistrationClosed()
    return tenant


async def _told_the_owner(
    session: AsyncSession, deps: Deps, *, user: User, meta: RequestMeta
) -> bool:
    """Whether the address is taken, its owner now told by mail (a concealed duplicate).

    The username is public (it is what others see), the address is not: a taken username is
    still refused, but the answer must not depend on the address.
    """
    await _ensure_unique(session, email_key=None, username_key=user.username_key, exclude=None)
    owner = await _owner_of(session, user.email_key)
    if owner is None:
        return False
    await one_time.mail_address_in_use(
        session, deps, owner=owner, meta=meta, attempted="registration"
    )
    return True


async def _global_role(session: AsyncSession, name: str) -> Role:
    primary = await global_role(session, name)
    if primary is None:
        raise ValidationFailed(f"Unknown role '{name}'", field="role")
    return primary


def _unsaved(user: User) -> User:
    """The answer to a concealed duplicate: shaped like a new account, holding no hash."""
    user.id = uuid.uuid4()
    user.password_hash = None
    return user


async def update_profile(
    deps: Deps,
    *,
    principal: Principal,
    profile: Profile,
    meta: RequestMeta,
    current_password: str | None = None,
) -> User:
    """Change the caller's own profile.

    A new username needs ``current_password`` (re-authentication, counted against the same
    attempt limit as a password change). The subscription plan is set by administrators: the
    current plan may be sent back unchanged, any other is refused.
    """
    # Imported here: identity.services.auth imports this module.
    from identity.services.auth import check_current_password

    profile = checked_profile(profile)
    username = profile.username
    now = deps.clock.now()
    user = principal.user
    if profile.subscription_plan is not None and (profile.subscription_plan or None) != (
        user.subscription_plan or None
    ):
        raise PlanNotSelectable(
            "The subscription plan is set by administrators", field="subscription_plan"
        )
    if username is not None and username != user.username:
        if not current_password:
            raise ValidationFailed(
                "Enter your current password to change your username", field="current_password"
            )
        await check_current_password(
            deps,
            user=user,
            password=current_password,
            meta=principal.meta,
            session_id=principal.session_id,
        )
    changes: dict[str, str | None] = {
        name: value
        for name, value in (
            ("first_name", profile.first_name),
            ("last_name", profile.last_name),
            ("display_name", profile.display_name),
            ("organization", profile.organization),
            ("avatar_url", profile.avatar_url),
        )
        if value is not None
    }
    if changes.get("avatar_url") == "":
        changes["avatar_url"] = None
    try:
        async with deps.database.unit_of_work() as session:
            user = await get_user(session, principal.user_id)
            if username is not None and username != user.username:
                key = identifier_key(username)
                if key != user.username_key:
                    await _ensure_unique(session, email_key=None, username_key=key, exclude=user.id)
                changes["username"] = username
                user.username_key = key
            old = {name: getattr(user, name) for name in changes}
            for name, value in changes.items():
                setattr(user, name, value)
            user.updated_at = now
            audit.record(
                session,
                event_type=EventType.USER_PROFILE_UPDATED,
                now=now,
                meta=meta,
                actor_id=principal.user_id,
                subject_id=user.id,
                resource="users",
                resource_id=str(user.id),
                details={"old": old, "new": changes},
            )
    except IntegrityError as exc:
        raise Conflict("Username already taken", field="username") from exc
    return user


async def create_admin(deps: Deps, *, email: str, password: str) -> tuple[User, bool]:
    """Create a super-admin, or promote an existing account; True when it was created."""
    email = normalize_email(email)
    meta = RequestMeta(user_agent="identity create-admin")
    async with deps.database.read() as session:
        existing = await find_by_identifier(session, email)
    if existing is None:
        user = await register(
            deps,
            email=email,
            password=password,
            profile=Profile(),
            meta=meta,
            role=SUPERADMIN_ROLE,
            self_service=False,
        )
        return user, True
    await check_new_password(deps, password, email=email, username=existing.username)
    password_hash = await deps.hasher.hash(password)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        user = await get_user(session, existing.id)
        old_role = user.role
        set_primary_role(user, await _global_role(session, SUPERADMIN_ROLE))
        user.password_hash = password_hash
        user.password_changed_at = now
        user.is_active = True
        user.status = UserStatus.ACTIVE
        user.updated_at = now
        audit.record(
            session,
            event_type=EventType.USER_PROMOTED,
            now=now,
            meta=meta,
            subject_id=user.id,
            resource="users",
            resource_id=str(user.id),
            details={"old_role": old_role, "new_role": SUPERADMIN_ROLE},
        )
    return user, False
