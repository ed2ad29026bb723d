"""Accounts: registration, profiles, and the super-admin the CLI creates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.errors import Conflict, NotFound, ValidationFailed
from identity.models import User, UserStatus
from identity.principal import Principal, RequestMeta
from identity.security.password_policy import check_password
from identity.services import audit, one_time, runtime_settings
from identity.services.deps import Deps

SUPERADMIN_ROLE = "superadmin"
MAX_NAME_LENGTH = 150


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
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationFailed("Invalid email format", field=field) from exc


def normalize_username(username: str | None) -> str | None:
    if username is None:
        return None
    username = username.strip()
    if not username:
        return None
    if len(username) > MAX_NAME_LENGTH or not all(
        char.isalnum() or char in "._-" for char in username
    ):
        raise ValidationFailed(
            "Username may hold letters, digits, '.', '_' and '-' (150 at most)", field="username"
        )
    return username


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """Seed 002 sends one ``name``; keep it whole and derive first and last names."""
    if not name or not name.strip():
        return None, None
    first, _, last = name.strip().partition(" ")
    # The name itself is kept whole (display_name); the derived parts fit their columns.
    return first[:MAX_NAME_LENGTH], last.strip()[:MAX_NAME_LENGTH] or None


async def find_by_identifier(session: AsyncSession, identifier: str) -> User | None:
    """An account by email or username, case-insensitively."""
    key = identifier.strip().lower()
    result = await session.execute(
        select(User).where(or_(col(User.email_key) == key, col(User.username_key) == key))
    )
    return result.scalars().first()


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(col(User.email_key) == email.lower()))


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
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


async def register(
    deps: Deps,
    *,
    email: str,
    password: str,
    profile: Profile,
    meta: RequestMeta,
    role: str = "user",
    self_service: bool = True,
) -> User:
    """A new account; ``self_service`` sign-ups are refused while registration is closed.

    Registration and the password length follow the runtime settings (administrators change
    them while the service runs), not the environment alone.
    """
    values = await runtime_settings.current(deps)
    if self_service and not values.registration_enabled:
        raise ValidationFailed("Registration is closed", field="email")
    email = normalize_email(email)
    username = normalize_username(profile.username)
    check_password(password, email=email, username=username, min_length=values.password_min_length)
    password_hash = await deps.hasher.hash(password)
    now = deps.clock.now()
    user = User(
        email=email,
        email_key=email.lower(),
        username=username,
        username_key=username.lower() if username else None,
        first_name=profile.first_name,
        last_name=profile.last_name,
        display_name=profile.display_name,
        organization=profile.organization,
        subscription_plan=profile.subscription_plan,
        avatar_url=profile.avatar_url,
        role=role,
        status=UserStatus.ACTIVE,
        password_hash=password_hash,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    try:
        async with deps.database.unit_of_work() as session:
            await _ensure_unique(
                session, email_key=user.email_key, username_key=user.username_key, exclude=None
            )
            session.add(user)
            await session.flush()
            audit.record(
                session,
                event_type="user.registered",
                now=now,
                meta=meta,
                actor_id=user.id,
                subject_id=user.id,
                resource="users",
                resource_id=str(user.id),
                details={"email": email},
            )
            if deps.settings.send_verification_on_register:
                await one_time.mail_verification(session, deps, user=user, meta=meta)
    except IntegrityError as exc:
        raise Conflict("Email or username already registered", field="email") from exc
    return user


async def update_profile(
    deps: Deps, *, principal: Principal, profile: Profile, meta: RequestMeta
) -> User:
    username = normalize_username(profile.username)
    now = deps.clock.now()
    changes = {
        name: value
        for name, value in (
            ("first_name", profile.first_name),
            ("last_name", profile.last_name),
            ("display_name", profile.display_name),
            ("organization", profile.organization),
            ("subscription_plan", profile.subscription_plan),
            ("avatar_url", profile.avatar_url),
        )
        if value is not None
    }
    try:
        async with deps.database.unit_of_work() as session:
            user = await get_user(session, principal.user_id)
            if username is not None and username.lower() != user.username_key:
                await _ensure_unique(
                    session, email_key=None, username_key=username.lower(), exclude=user.id
                )
                changes["username"] = username
                user.username_key = username.lower()
            old = {name: getattr(user, name) for name in changes}
            for name, value in changes.items():
                setattr(user, name, value)
            user.updated_at = now
            audit.record(
                session,
                event_type="user.profile_updated",
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
    check_password(password, email=email, username=existing.username)
    password_hash = await deps.hasher.hash(password)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        user = await get_user(session, existing.id)
        old_role = user.role
        user.role = SUPERADMIN_ROLE
        user.password_hash = password_hash
        user.password_changed_at = now
        user.is_active = True
        user.status = UserStatus.ACTIVE
        user.updated_at = now
        audit.record(
            session,
            event_type="user.promoted",
            now=now,
            meta=meta,
            subject_id=user.id,
            resource="users",
            resource_id=str(user.id),
            details={"old_role": old_role, "new_role": SUPERADMIN_ROLE},
        )
    return user, False
