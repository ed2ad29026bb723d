"""One-time codes of second factors: TOTP (RFC 6238), backup codes and mailed codes.

TOTP: SHA-1, 6 digits, 30-second steps, one step of drift either way; a 160-bit secret,
sealed at rest under a key derived from the service secret (``secret_sealer``). A code is
accepted only for a step later than the last one accepted, so a code works once.

Backup codes: 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), stored as
a digest bound to their user, found through a unique index (never compared byte by byte).
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from datetime import datetime
from functools import partial

import pyotp

from identity.config import Settings
from identity.security.sealing import Sealer
from identity.security.secrets import hash_token
from identity.security.service_secret import secret_key

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
SECRET_BYTES = 20
BACKUP_CODE_COUNT = 10
BACKUP_CODE_LENGTH = 10
BACKUP_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
EMAIL_CODE_DIGITS = 6
_SECRET_INFO = b"identity mfa secrets v1"
_DIGITS = re.compile(r"[0-9]{6}")
_SEPARATORS = re.compile(r"[\s-]")


def secret_sealer(settings: Settings) -> Sealer:
    """Seals and opens TOTP secrets (their own key, derived from ``IDENTITY_SECRET_KEY``)."""
    return Sealer(partial(secret_key, settings), info=_SECRET_INFO)


def new_totp_secret() -> str:
    """160 random bits, base32 as authenticator apps expect (32 characters)."""
    return pyotp.random_base32(length=SECRET_BYTES * 8 // 5)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """``otpauth://totp/<issuer>:<account>?secret=…&issuer=…`` for a QR code or a link."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def step_at(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def totp_code(secret: str, step: int) -> str:
    """The code of ``step`` (what an authenticator app shows then)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def matching_step(secret: str, code: str, *, now: datetime, after_step: int | None) -> int | None:
    """The step within one of ``now`` whose code is ``code`` and that is later than
    ``after_step`` (the last accepted), else None. Every candidate is compared, in constant
    time, so the answer's timing does not say which step matched."""
    code = code.strip()
    if not _DIGITS.fullmatch(code):
        return None
    current = step_at(now)
    found: int | None = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        same = hmac.compare_digest(totp_code(secret, step).encode(), code.encode())
        if same and (after_step is None or step > after_step) and found is None:
            found = step
    return found


def new_backup_codes() -> list[str]:
    return [
        "".join(secrets.choice(BACKUP_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))
        for _ in range(BACKUP_CODE_COUNT)
    ]


def normalized_backup_code(code: str) -> str | None:
    """The code as stored (upper case, without spaces or hyphens), or None if it cannot be one."""
    cleaned = _SEPARATORS.sub("", code).upper()
    if len(cleaned) != BACKUP_CODE_LENGTH or any(c not in BACKUP_ALPHABET for c in cleaned):
        return None
    return cleaned


def backup_code_hash(user_id: uuid.UUID, code: str) -> str:
    return hash_token(f"backup:{user_id}:{code}")


def new_email_code() -> str:
    return f"{secrets.randbelow(10**EMAIL_CODE_DIGITS):0{EMAIL_CODE_DIGITS}d}"


def email_code_hash(challenge_id: uuid.UUID, code: str) -> str:
    return hash_token(f"email-mfa:{challenge_id}:{code.strip()}")
