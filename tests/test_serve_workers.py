"""Several workers without Redis would each count rate limits: production refuses unless told."""

from __future__ import annotations

import pytest

from identity.cli import main, unshared_limits_refusal
from identity.config import Settings

PRODUCTION = {
    "IDENTITY_ENV": "production",
    "IDENTITY_SECRET_KEY": "k" * 40,
    "IDENTITY_PUBLIC_URL": "https://auth.example.com",
    "IDENTITY_DATABASE_URL": "postgresql+asyncpg://identity@127.0.0.1:1/identity",
}


def test_production_with_workers_and_no_redis_does_not_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--workers", "2", "--port", "1"]) == 2
    message = capsys.readouterr().err
    assert "up to 2 times" in message
    assert "--allow-unshared-limits" in message


@pytest.mark.parametrize(
    ("settings", "workers", "allow", "expected"),
    [
        (Settings(env="production", redis_url="redis://r:6379/0"), 4, False, None),
        (Settings(env="production", rate_limits_enabled=False), 4, False, None),
        (Settings(env="production"), 1, False, None),
        (Settings(env="production"), 2, True, False),
        (Settings(env="development"), 2, False, False),
        (Settings(env="production"), 2, False, True),
    ],
)
def test_who_is_refused_and_who_is_warned(
    settings: Settings, workers: int, allow: bool, expected: bool | None
) -> None:
    verdict = unshared_limits_refusal(settings, workers, allow_unshared=allow)
    assert (verdict[0] if verdict else None) == expected
