"""The service secret (``IDENTITY_SECRET_KEY``) and where a local one is kept outside production."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from identity.config import Settings

LOCAL_SECRET_FILE = ".identity-secret"  # noqa: S105 (a file name)


def data_dir(settings: Settings) -> Path:
    """Where the service keeps local files: beside the SQLite database, or the cwd."""
    path = settings.sqlite_path()
    return (path.parent if path else Path.cwd()).resolve()


def secret_key(settings: Settings) -> str:
    """The configured secret; outside production, one generated once and kept (mode 0600)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = data_dir(settings) / LOCAL_SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
