"""No secret is tracked in git (item 19): names that hold secrets, and private key blocks.

``.identity-secret`` (the development secret that encrypts signing keys and outbox mail) was
committed once although ``.gitignore`` lists it.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SECRET_NAMES = (
    ".identity-secret",
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_ed25519*",
    "id_ecdsa*",
)
ALLOWED_NAMES = (".env.example",)
# Written in two pieces so that this file does not match itself.
PRIVATE_KEY_BLOCK = re.compile("-----BEGIN " + r"[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
MAX_SCANNED_BYTES = 2_000_000


def tracked_files() -> list[str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False, timeout=60
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    return [name for name in listed.stdout.decode().split("\0") if name]


def looks_like_a_secret_name(path: str) -> bool:
    name = Path(path).name
    if name in ALLOWED_NAMES:
        return False
    return any(fnmatch.fnmatch(name, pattern) for pattern in SECRET_NAMES)


def test_no_tracked_file_is_named_like_a_secret() -> None:
    offending = [path for path in tracked_files() if looks_like_a_secret_name(path)]

    assert offending == [], f"secrets tracked in git: {offending}; git rm --cached them"


def test_no_tracked_file_holds_a_private_key() -> None:
    offending = []
    for name in tracked_files():
        path = REPO / name
        if not path.is_file() or path.stat().st_size > MAX_SCANNED_BYTES:
            continue
        if PRIVATE_KEY_BLOCK.search(path.read_bytes().decode("utf-8", "replace")):
            offending.append(name)

    assert offending == [], f"private keys tracked in git: {offending}"


@pytest.mark.parametrize(
    ("path", "secret"),
    [
        (".identity-secret", True),
        ("deploy/.env", True),
        (".env.production", True),
        ("deploy/tls/server.pem", True),
        ("certs/server.key", True),
        ("home/.ssh/id_rsa", True),
        (".env.example", False),
        ("identity/security/keys.py", False),
        ("tests/security/test_keys.py", False),
    ],
)
def test_the_name_rules(path: str, secret: bool) -> None:
    assert looks_like_a_secret_name(path) is secret


def test_the_content_rule_finds_a_key_block() -> None:
    block = "-----BEGIN " + "EC PRIVATE KEY-----\nMHc...\n-----END " + "EC PRIVATE KEY-----"

    assert PRIVATE_KEY_BLOCK.search(block)
    assert PRIVATE_KEY_BLOCK.search(block.replace("EC ", ""))
    assert not PRIVATE_KEY_BLOCK.search("-----BEGIN " + "PUBLIC KEY-----")
