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


PRODUCTION = {
    "env": "production",
    "secret_key": "k" * 32,
    "database_url": "postgresql+asyncpg://db/identity",
    "public_url": "https://auth.example.com",
}


@pytest.mark.parametrize(
    ("memory_kib", "time_cost", "refused"),
    [
        (19456, 2, False),  # the default
        (47104, 1, False),  # OWASP's other pairs
        (12288, 3, False),
        (9216, 4, False),
        (7168, 5, False),
        (19456, 1, True),
        (7167, 10, True),  # too little memory, however many passes
        (1024, 1, True),  # the test suite's
    ],
)
def test_production_refuses_a_password_hash_below_owasp(
    memory_kib: int, time_cost: int, refused: bool
) -> None:
    settings = Settings(
        **PRODUCTION,  # type: ignore[arg-type]
        password_memory_kib=memory_kib,
        password_time_cost=time_cost,
    )

    assert any("argon2id" in one for one in settings.problems_for_production()) is refused


async def test_new_hashes_use_the_configured_cost(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"password_memory_kib": 2048}))
    async with app.router.lifespan_context(app):
        stored = await app.state.runtime.deps.hasher.hash("correct horse battery staple")

    assert stored.startswith("$argon2id$v=19$m=2048,t=1,p=1$")
