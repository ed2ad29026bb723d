"""Argon2id password hashing, run in a bounded thread pool so the event loop keeps serving."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

_DUMMY_PASSWORD = "identity-dummy-password-for-unknown-accounts"  # noqa: S105


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container's cpuset
    narrows), not every core of the machine: one argon2 thread per core keeps each busy
    without threads queueing for the same core."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 2


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    valid: bool
    needs_rehash: bool


def _secret(password: str) -> bytes:
    # Exactly as typed: no strip, no normalisation; surrogatepass so no str makes hashing raise.
    return password.encode("utf-8", "surrogatepass")


class PasswordHasher:
    """Argon2id at the OWASP minimum (19 MiB, t=2, p=1) unless told otherwise."""

    def __init__(
        self,
        *,
        time_cost: int = 2,
        memory_cost: int = 19456,
        parallelism: int = 1,
        max_workers: int | None = None,
    ) -> None:
        self._argon2 = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=max_workers or usable_cores(),
            thread_name_prefix="argon2",
        )
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._hash_sync, password)

    async def verify(self, password_hash: str | None, password: str) -> PasswordCheck:
        """Check a password; ``None`` (unknown account) costs the same and is never valid."""
        loop = asyncio.get_running_loop()
        if password_hash is None:
            await loop.run_in_executor(self._pool, self._verify_dummy_sync, password)
            return PasswordCheck(valid=False, needs_rehash=False)
        return await loop.run_in_executor(self._pool, self._verify_sync, password_hash, password)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _hash_sync(self, password: str) -> str:
        return self._argon2.hash(_secret(password))

    def _verify_sync(self, password_hash: str, password: str) -> PasswordCheck:
        try:
            self._argon2.verify(password_hash, _secret(password))
        except (VerificationError, InvalidHashError):
            return PasswordCheck(valid=False, needs_rehash=False)
        return PasswordCheck(
            valid=True, needs_rehash=self._argon2.check_needs_rehash(password_hash)
        )

    def _verify_dummy_sync(self, password: str) -> None:
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._hash_sync(_DUMMY_PASSWORD)
            dummy_hash = self._dummy_hash
        self._verify_sync(dummy_hash, password)
