"""NIST SP 800-63B password rules: length bounds and a blocklist, no composition rules."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib.resources import files

from identity.errors import PasswordRejected

MIN_LENGTH = 8
MAX_LENGTH = 256


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, lower-case, from identity/data/common-passwords.txt."""
    text = files("identity.data").joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line)


def _account_names(email: str | None, username: str | None) -> set[str]:
    names: set[str] = set()
    if email:
        names.add(email.casefold())
        local_part = email.rpartition("@")[0] if "@" in email else email
        names.add(local_part.casefold())
    if username:
        names.add(username.casefold())
    names.discard("")
    return names


def check_password(
    password: str,
    *,
    email: str | None = None,
    username: str | None = None,
    min_length: int = MIN_LENGTH,
    field: str = "password",
) -> None:
    """Raise PasswordRejected naming the first rule the password breaks; length is code points."""
    if len(password) < min_length:
        raise PasswordRejected(
            "PASSWORD_TOO_SHORT",
            f"Password must be at least {min_length} characters",
            field=field,
        )
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(
            "PASSWORD_TOO_LONG",
            f"Password must be at most {MAX_LENGTH} characters",
            field=field,
        )
    if password.casefold() in _account_names(email, username):
        raise PasswordRejected(
            "PASSWORD_MATCHES_ACCOUNT",
            "Password must not be the same as your email address or username",
            field=field,
        )
    if password.lower() in common_passwords():
        raise PasswordRejected(
            "PASSWORD_TOO_COMMON",
            "Password is too common; choose one that is harder to guess",
            field=field,
        )


@dataclass(frozen=True, slots=True)
class RangeQuery:
    """A password's SHA-1 split for a k-anonymity range API: only ``prefix`` is ever sent."""

    prefix: str
    suffix: str

    def count_in(self, body: str) -> int:
        """The count next to this suffix in a range answer (``SUFFIX:COUNT`` lines), else 0."""
        for line in body.splitlines():
            suffix, _, count = line.strip().partition(":")
            if suffix.upper() == self.suffix:
                try:
                    return max(int(count.strip()), 0)
                except ValueError:
                    return 0
        return 0


def pwned_range_query(password: str) -> RangeQuery:
    """The five-hex-character prefix and the rest of the upper-case SHA-1 of ``password``."""
    digest = hashlib.sha1(password.encode("utf-8", "surrogatepass"), usedforsecurity=False)
    hexdigest = digest.hexdigest().upper()
    return RangeQuery(prefix=hexdigest[:5], suffix=hexdigest[5:])
