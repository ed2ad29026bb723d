"""What services need from the running process, built once by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from identity.clock import Clock
from identity.config import Settings
from identity.db import Database
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
