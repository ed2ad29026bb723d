"""What services need from the running process, built once by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field

from identity.clock import Clock
from identity.config import Settings
from identity.db import Database
from identity.invalidation.cache import PrincipalCache
from identity.ratelimit import Limiter
from identity.security.passwords import PasswordHasher
from identity.services.keys import KeyRing


@dataclass(frozen=True, slots=True)
class Deps:
    settings: Settings
    database: Database
    clock: Clock
    hasher: PasswordHasher
    keys: KeyRing
    limiter: Limiter
    # Callers between requests (``identity.invalidation``); off unless the runtime enables it.
    principals: PrincipalCache = field(default_factory=lambda: PrincipalCache(enabled=False))
