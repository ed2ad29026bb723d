"""Libraries a running server loads only once a feature needs them (its memory, issue 15).

redis-py without a Redis URL, py_webauthn before a security key, segno before a TOTP setup,
psutil before a detailed health check and aiosmtplib before a mail is sent cost ~12 MB of
resident memory together; a module-level import of any of them anywhere on the serve path
would bring them back. The check runs in a fresh interpreter: this one has them all loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LOADED_WHEN_NEEDED = ("redis", "webauthn", "segno", "psutil", "aiosmtplib")

SERVE = f"""
import asyncio, json, sys
import identity.cli
from identity.app import app_factory

app = app_factory()

async def serve() -> None:
    async with app.router.lifespan_context(app):
        pass

asyncio.run(serve())
print(json.dumps(sorted(name for name in {LOADED_WHEN_NEEDED!r} if name in sys.modules)))
"""


def test_the_server_starts_without_the_libraries_of_unused_features(tmp_path: Path) -> None:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("IDENTITY_")},
        "IDENTITY_ENV": "test",
        "IDENTITY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}",
        "IDENTITY_LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-c", SERVE],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
