"""Configuration: safe defaults for development, refusal to start a half-configured production."""

from __future__ import annotations

import pytest

from identity.app import create_app
from identity.config import DEFAULT_DATABASE_URL, Environment, Settings
from identity.errors import ConfigurationError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(str(tmp_path))
    for name in ("ENV", "DATABASE_URL", "PUBLIC_URL", "SECRET_KEY"):
        monkeypatch.delenv(f"IDENTITY_{name}", raising=False)


def test_no_configuration_means_development_on_sqlite() -> None:
    settings = Settings()

    assert settings.env is Environment.DEVELOPMENT
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.migrate_on_start


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDENTITY_ENV", "test")
    monkeypatch.setenv("IDENTITY_LOG_LEVEL", "DEBUG")

    settings = Settings()

    assert settings.env is Environment.TEST
    assert settings.log_level == "DEBUG"


def test_production_names_every_missing_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDENTITY_ENV", "production")

    with pytest.raises(ConfigurationError) as raised:
        create_app()

    text = str(raised.value)
    assert "IDENTITY_SECRET_KEY" in text
    assert "IDENTITY_DATABASE_URL" in text
    assert "IDENTITY_PUBLIC_URL" in text


def test_production_refuses_a_short_secret_and_plain_http() -> None:
    settings = Settings(
        env="production",
        secret_key="short",
        database_url="postgresql+asyncpg://db/identity",
        public_url="http://auth.example.com",
    )

    problems = settings.problems_for_production()

    assert problems == [
        "IDENTITY_SECRET_KEY must be at least 32 characters",
        "IDENTITY_PUBLIC_URL must use https in production",
    ]


def test_complete_production_settings_start() -> None:
    settings = Settings(
        env="production",
        secret_key="k" * 32,
        database_url="postgresql+asyncpg://db/identity",
        public_url="https://auth.example.com",
    )

    settings.validate_for_start()
    assert not settings.migrate_on_start
