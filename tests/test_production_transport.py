"""Production refuses to start when mail or links could travel in clear (item 20).

Mail carries sign-in links and reset tokens; an SMTP connection without TLS, or links to a
plain-http front end, hand them to anyone on the path.
"""

from __future__ import annotations

import pytest

from identity.cli import main
from identity.config import Settings
from identity.errors import ConfigurationError

COMPLETE = {
    "env": "production",
    "secret_key": "k" * 32,
    "database_url": "postgresql+asyncpg://db/identity",
    "public_url": "https://auth.example.com",
}
SMTP_PROBLEM = "IDENTITY_SMTP_URL must use TLS in production"
FRONTEND_PROBLEM = "IDENTITY_FRONTEND_URL must use https in production"


def problems(**overrides: object) -> list[str]:
    return Settings(**{**COMPLETE, **overrides}).problems_for_production()  # type: ignore[arg-type]


@pytest.mark.parametrize("starttls", [None, False])
def test_plain_smtp_without_required_starttls_is_refused(starttls: bool | None) -> None:
    found = problems(smtp_url="smtp://mailer:secret@smtp.example.com:587", smtp_starttls=starttls)

    assert any(problem.startswith(SMTP_PROBLEM) for problem in found), found
    assert "secret" not in " ".join(found)


@pytest.mark.parametrize(
    ("url", "starttls"),
    [
        ("smtps://mailer:secret@smtp.example.com:465", None),
        ("smtps://smtp.example.com", False),
        ("smtp://mailer:secret@smtp.example.com:587", True),
    ],
)
def test_implicit_tls_or_required_starttls_is_accepted(url: str, starttls: bool | None) -> None:
    assert problems(smtp_url=url, smtp_starttls=starttls) == []


def test_no_smtp_at_all_is_not_a_transport_problem() -> None:
    assert problems() == []


@pytest.mark.parametrize(
    "frontend", ["http://app.example.com", "HTTP://app.example.com", "//app.example.com", "ftp://x"]
)
def test_a_front_end_url_that_is_not_https_is_refused(frontend: str) -> None:
    assert problems(frontend_url=frontend) == [FRONTEND_PROBLEM]


def test_an_https_front_end_url_is_accepted() -> None:
    assert problems(frontend_url="https://app.example.com/") == []


def test_outside_production_plain_smtp_and_http_links_are_fine() -> None:
    settings = Settings(
        env="development",
        smtp_url="smtp://localhost:1025",  # type: ignore[arg-type]
        frontend_url="http://localhost:3000",
    )

    settings.validate_for_start()


def test_validate_for_start_raises_with_both_settings_named() -> None:
    settings = Settings(
        **COMPLETE,  # type: ignore[arg-type]
        smtp_url="smtp://smtp.example.com",
        frontend_url="http://app.example.com",
    )

    with pytest.raises(ConfigurationError) as raised:
        settings.validate_for_start()

    assert "IDENTITY_SMTP_URL" in str(raised.value)
    assert "IDENTITY_FRONTEND_URL" in str(raised.value)


@pytest.mark.parametrize("command", [["migrate"], ["serve"], ["keys", "rotate"]])
def test_the_cli_exits_2_naming_the_settings(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: object,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    monkeypatch.chdir(str(tmp_path))
    for name, value in COMPLETE.items():
        monkeypatch.setenv(f"IDENTITY_{name.upper()}", value)
    monkeypatch.setenv("IDENTITY_SMTP_URL", "smtp://mailer:hunter2@smtp.example.com:587")
    monkeypatch.setenv("IDENTITY_FRONTEND_URL", "http://app.example.com")

    with pytest.raises(SystemExit) as raised:
        main(command)

    assert raised.value.code == 2
    stderr = capsys.readouterr().err
    assert "IDENTITY_SMTP_URL must use TLS" in stderr
    assert "IDENTITY_FRONTEND_URL must use https" in stderr
    assert "hunter2" not in stderr
