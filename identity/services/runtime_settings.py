"""Runtime settings: typed values administrators change while the service runs.

Each setting is defined here (type, bounds, whether it is public); its default comes from the
environment (``identity.config.Settings``) and a row in ``runtime_settings`` overrides it. Every
process reads the table, so a change applies to all replicas at their next read.

Reading the list needs ``settings:read``; changing a value ``settings:write``, and each change
is audited with the old and the new value. The public part (what a login page needs) is
readable by anyone.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit_events import EventType
from identity.config import Settings
from identity.db import Database
from identity.errors import ConfigurationError, Conflict, NotFound, ValidationFailed
from identity.models import RuntimeSetting
from identity.permissions import Permission
from identity.principal import Principal
from identity.ratelimit.budgets import Budget, parse_limit
from identity.services import access, audit, authorization
from identity.services.deps import Deps

log = logging.getLogger(__name__)

Value = bool | int | str | list[str] | dict[str, str]
Kind = Literal["bool", "int", "names", "limits", "choice"]
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
MAX_NAMES = 20


@dataclass(frozen=True, slots=True)
class Definition:
    """One setting: its type and bounds, where its default comes from, who may read it."""

    key: str
    kind: Kind
    description: str
    public: bool
    default_from: Callable[[Settings], Value]
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()

    def parse(self, raw: object) -> Value:
        """The typed value, or ValidationFailed saying what this setting accepts.

        JSON types are expected; the strings "true"/"false" and decimal strings are accepted
        too, for form-based clients.
        """
        if self.kind == "bool":
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str) and raw.strip().lower() in _TRUE + _FALSE:
                return raw.strip().lower() in _TRUE
            raise ValidationFailed(f"{self.key} must be true or false", field="value")
        if self.kind == "names":
            return self._names(raw)
        if self.kind == "limits":
            return _limits(raw)
        if self.kind == "choice":
            choice = raw.strip().lower() if isinstance(raw, str) else None
            if choice not in self.choices:
                raise ValidationFailed(
                    f"{self.key} must be one of {', '.join(self.choices)}",
                    field="value",
                    details={"choices": list(self.choices)},
                )
            return choice
        number: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            number = raw
        elif isinstance(raw, str) and _WHOLE_NUMBER.fullmatch(raw.strip()):
            # ASCII digits only: str.isdigit() accepts "²", which int() refuses.
            number = int(raw.strip())
        if number is None:
            raise ValidationFailed(f"{self.key} must be a whole number", field="value")
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            raise ValidationFailed(
                f"{self.key} must be {self.bounds()}",
                field="value",
                details={"minimum": self.minimum, "maximum": self.maximum},
            )
        return number

    def _names(self, raw: object) -> list[str]:
        """A list of lower-case names, given as a JSON list or a comma-separated string."""
        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, list) or len(items) > MAX_NAMES:
            raise ValidationFailed(
                f"{self.key} must be a list of at most {MAX_NAMES} names", field="value"
            )
        names: list[str] = []
        for item in items:
            name = item.strip() if isinstance(item, str) else None
            if not name and isinstance(raw, str):
                continue
            if name is None or not _NAME.fullmatch(name):
                raise ValidationFailed(
                    f"{self.key} holds names of 1 to 32 characters: a-z, 0-9, '_' and '-'",
                    field="value",
                )
            if name not in names:
                names.append(name)
        return names

    def bounds(self) -> str:
        if self.maximum is None:
            return f"at least {self.minimum}"
        return f"between {self.minimum} and {self.maximum}"


def _limits(raw: object) -> dict[str, str]:
    """Budget overrides: an object of budget names to limits such as ``"10/15 minutes"``."""
    if not isinstance(raw, dict):
        raise ValidationFailed(
            'rate_limits must be an object such as {"login": "10/15 minutes"}', field="value"
        )
    known = {budget.value for budget in Budget}
    limits: dict[str, str] = {}
    for name, text in raw.items():
        if name not in known:
            raise ValidationFailed(
                f"rate_limits: unknown budget {str(name)[:64]!r}",
                field="value",
                details={"budget": str(name)[:64]},
            )
        try:
            if not isinstance(text, str) or len(text) > 64:
                raise ConfigurationError([])
            parse_limit(text, name=name)
        except ConfigurationError:
            raise ValidationFailed(
                f"rate_limits: {name} must be a limit such as '10/15 minutes'",
                field="value",
                details={"budget": name},
            ) from None
        limits[name] = text.strip()
    return limits


DEFINITIONS: dict[str, Definition] = {
    definition.key: definition
    for definition in (
        Definition(
            "registration_enabled",
            "bool",
            "Whether anyone may create an account.",
            public=True,
            default_from=lambda settings: settings.registration_enabled,
        ),
        Definition(
            "email_verification_required",
            "bool",
            "Whether an account must verify its email address before it signs in.",
            public=True,
            default_from=lambda _settings: False,
        ),
        Definition(
            "password_min_length",
            "int",
            "Shortest password accepted.",
            public=True,
            default_from=lambda settings: settings.password_min_length,
            minimum=8,
            maximum=128,
        ),
        Definition(
            "lockout_threshold",
            "int",
            "Failed logins per identifier before it is locked.",
            public=False,
            default_from=lambda settings: settings.lockout_threshold,
            minimum=1,
            maximum=1000,
        ),
        Definition(
            "lockout_minutes",
            "int",
            "How long a locked identifier stays locked.",
            public=False,
            default_from=lambda settings: settings.lockout_minutes,
            minimum=1,
            maximum=525_600,
        ),
        Definition(
            "access_token_ttl_seconds",
            "int",
            "Lifetime of an access token.",
            public=True,
            default_from=lambda settings: settings.access_token_ttl_seconds,
            minimum=60,
            maximum=86_400,
        ),
        Definition(
            "magic_link_enabled",
            "bool",
            "Whether passwordless sign-in links may be requested.",
            public=True,
            default_from=lambda _settings: True,
        ),
        Definition(
            "registration_reveals_existing",
            "bool",
            "Whether registration and email change say that an address is taken (409). When "
            "false they answer as for a free address and the address's owner is told by mail.",
            public=False,
            default_from=lambda _settings: True,
        ),
        Definition(
            "refresh_reuse_interval_seconds",
            "int",
            "How long a used refresh token may be presented again and answer the same "
            "successor (parallel tabs, lost responses); after it, presenting it is reuse.",
            public=False,
            default_from=lambda _settings: 10,
            minimum=0,
            maximum=300,
        ),
        Definition(
            "self_selectable_plans",
            "names",
            "Subscription plans a user may pick at registration besides the default (none).",
            public=True,
            default_from=lambda _settings: [],
        ),
        Definition(
            "rate_limits",
            "limits",
            "Rate budgets overriding the defaults, by budget name (docs/rate-limits.md): "
            '{"login": "20/15 minutes"}. Replaces IDENTITY_RATE_LIMITS while set.',
            public=False,
            default_from=lambda settings: dict(settings.rate_limits),
        ),
        Definition(
            "mfa_required_for",
            "choice",
            "Who must have a second factor: none, admins (every account whose primary role is "
            "not 'user') or all. One who has none enrols right after the password.",
            public=True,
            default_from=lambda _settings: "none",
            choices=("none", "admins", "all"),
        ),
    )
}


@dataclass(frozen=True, slots=True)
class SettingValue:
    """A setting as it is now: its value, its default, and who changed it last."""

    definition: Definition
    value: Value
    default: Value
    updated_at: datetime | None = None
    updated_by: uuid.UUID | None = None

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def is_default(self) -> bool:
        """True while no administrator has set it (a stored value equal to it counts as set)."""
        return self.updated_at is None


@dataclass(frozen=True, slots=True)
class RuntimeValues:
    """Every setting's current value, typed, for the services that honour them."""

    registration_enabled: bool
    email_verification_required: bool
    password_min_length: int
    lockout_threshold: int
    lockout_minutes: int
    access_token_ttl_seconds: int
    magic_link_enabled: bool
    registration_reveals_existing: bool
    refresh_reuse_interval_seconds: int
    self_selectable_plans: tuple[str, ...]
    rate_limits: dict[str, str]
    mfa_required_for: str = "none"


def definition(key: str) -> Definition:
    found = DEFINITIONS.get(key)
    if found is None:
        raise NotFound(f"Unknown setting '{key}'", field="key")
    return found


def _value_of(spec: Definition, row: RuntimeSetting | None, settings: Settings) -> SettingValue:
    default = spec.default_from(settings)
    if row is None:
        return SettingValue(spec, default, default)
    try:
        value = spec.parse(row.value)
    except ValidationFailed:
        # Bounds may tighten between releases; a stored value outside them is not used.
        log.warning("runtime setting %s holds an invalid value; using its default", spec.key)
        value = default
    return SettingValue(spec, value, default, row.updated_at, row.updated_by)


async def read_all(session: AsyncSession, settings: Settings) -> list[SettingValue]:
    """Every setting, in definition order, in one statement."""
    rows = {row.key: row for row in (await session.scalars(select(RuntimeSetting))).all()}
    return [_value_of(spec, rows.get(spec.key), settings) for spec in DEFINITIONS.values()]


# Logins and token issuance consult these values on every call; reading them at most once
# per CACHE_SECONDS per process keeps that off the hot path. A change made here is seen
# at once by this process, and by the other processes within CACHE_SECONDS.
CACHE_SECONDS = 2.0
_cache: weakref.WeakKeyDictionary[Database, tuple[float, RuntimeValues]] = (
    weakref.WeakKeyDictionary()
)


_reading: weakref.WeakKeyDictionary[Database, asyncio.Task[RuntimeValues]] = (
    weakref.WeakKeyDictionary()
)
_writes: weakref.WeakKeyDictionary[Database, int] = weakref.WeakKeyDictionary()


async def current(deps: Deps) -> RuntimeValues:
    """The values in force now (no permission needed: services call it).

    When the cache has expired, one read serves every caller arriving while it is under way:
    under load each expiry otherwise started dozens of reads at once, a stall every request
    of the moment paid for. A caller that gives up does not cancel the others' read.
    """
    database = deps.database
    cached = _cache.get(database)
    if cached is not None and deps.clock.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    reading = _reading.get(database)
    if reading is None:
        reading = asyncio.ensure_future(_read(deps))
        _reading[database] = reading
        reading.add_done_callback(partial(_read_done, database))
    return await asyncio.shield(reading)


def _read_done(database: Database, reading: asyncio.Task[RuntimeValues]) -> None:
    if _reading.get(database) is reading:
        del _reading[database]
    if not reading.cancelled():
        reading.exception()  # its callers have it; nobody may be left to retrieve it


async def _read(deps: Deps) -> RuntimeValues:
    """Read and keep the values, unless this process changed one meanwhile (what was read
    may predate the change: the next caller reads again)."""
    writes = _writes.get(deps.database, 0)
    async with deps.database.read() as session:
        values = await read_all(session, deps.settings)
    fresh = _typed({one.key: one.value for one in values})
    if _writes.get(deps.database, 0) == writes:
        _cache[deps.database] = (deps.clock.monotonic(), fresh)
    return fresh


def _changed(database: Database) -> None:
    """A value changed here: seen by this process's next caller."""
    _writes[database] = _writes.get(database, 0) + 1
    _cache.pop(database, None)
    _reading.pop(database, None)


def _typed(typed: dict[str, Value]) -> RuntimeValues:
    return RuntimeValues(
        registration_enabled=bool(typed["registration_enabled"]),
        email_verification_required=bool(typed["email_verification_required"]),
        password_min_length=_int_of(typed["password_min_length"]),
        lockout_threshold=_int_of(typed["lockout_threshold"]),
        lockout_minutes=_int_of(typed["lockout_minutes"]),
        access_token_ttl_seconds=_int_of(typed["access_token_ttl_seconds"]),
        magic_link_enabled=bool(typed["magic_link_enabled"]),
        registration_reveals_existing=bool(typed["registration_reveals_existing"]),
        refresh_reuse_interval_seconds=_int_of(typed["refresh_reuse_interval_seconds"]),
        self_selectable_plans=tuple(_names_of(typed["self_selectable_plans"])),
        rate_limits=_limits_of(typed["rate_limits"]),
        mfa_required_for=str(typed["mfa_required_for"]),
    )


def _names_of(value: Value) -> list[str]:
    return value if isinstance(value, list) else []


def _limits_of(value: Value) -> dict[str, str]:
    return value if isinstance(value, dict) else {}


def _int_of(value: Value) -> int:
    return value if isinstance(value, int) else 0


async def public_settings(deps: Deps) -> dict[str, Value]:
    """The settings a login or sign-up page needs; readable by anyone."""
    async with deps.database.read() as session:
        values = await read_all(session, deps.settings)
    return {one.key: one.value for one in values if one.definition.public}


async def list_settings(deps: Deps, *, principal: Principal | None) -> list[SettingValue]:
    await authorization.require(deps, principal, Permission.SETTINGS_READ)
    async with deps.database.read() as session:
        return await read_all(session, deps.settings)


async def get_setting(deps: Deps, *, principal: Principal | None, key: str) -> SettingValue:
    await authorization.require(deps, principal, Permission.SETTINGS_READ)
    spec = definition(key)
    async with deps.database.read() as session:
        row = await session.get(RuntimeSetting, spec.key)
    return _value_of(spec, row, deps.settings)


async def update_setting(
    deps: Deps, *, principal: Principal | None, key: str, value: object
) -> SettingValue:
    """Set a value; audited as ``setting.updated`` with the old and the new value."""
    caller = await authorization.require(deps, principal, Permission.SETTINGS_WRITE)
    spec = definition(key)
    new = spec.parse(value)
    now = deps.clock.now()
    try:
        async with deps.database.unit_of_work() as session:
            await access.held_now(session, caller, Permission.SETTINGS_WRITE)
            row = await session.get(RuntimeSetting, spec.key, with_for_update=True)
            old = _value_of(spec, row, deps.settings)
            if row is None:
                row = RuntimeSetting(key=spec.key, value=new, updated_at=now)
                session.add(row)
            row.value = new
            row.updated_at = now
            row.updated_by = caller.user_id
            audit.record(
                session,
                event_type=EventType.SETTING_UPDATED,
                now=now,
                meta=caller.meta,
                actor_id=caller.user_id,
                resource="settings",
                resource_id=spec.key,
                details={"key": spec.key, "old": old.value, "new": new},
            )
    except IntegrityError as exc:
        raise Conflict(f"{spec.key} was changed at the same time; try again", field="key") from exc
    _changed(deps.database)
    return SettingValue(spec, new, old.default, now, caller.user_id)
