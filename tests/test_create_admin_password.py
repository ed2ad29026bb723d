"""``identity create-admin`` takes the password from stdin or a prompt, not only argv (item 23).

A password on the command line is visible to every user of the machine (``ps``) and stays in
shell history.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from identity.app import create_app
from identity.cli import main, read_password
from identity.config import Settings
from tests.conftest import open_client
from tests.test_cli import IDENTITY, clean_env

SECRET_KEY = "create-admin-tests-secret-0123456789abcdef"
PASSWORD = "  correct horse battery staple 42  "


def run_create_admin(
    database_url: str, cwd: Path, stdin: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [IDENTITY, "create-admin", "--email", "root@example.com", *extra],
        input=stdin,
        cwd=cwd,
        env=clean_env(
            IDENTITY_ENV="test", IDENTITY_DATABASE_URL=database_url, IDENTITY_SECRET_KEY=SECRET_KEY
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def login_status(settings: Settings, password: str) -> int:
    status = 0
    async for client in open_client(create_app(settings)):
        response = await client.post(
            "/api/v1/auth/login", json={"email": "root@example.com", "password": password}
        )
        status = response.status_code
    return status


async def test_the_password_piped_on_stdin_is_the_admin_password(
    database_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    result = run_create_admin(database_url, tmp_path, PASSWORD + "\n")

    assert result.returncode == 0, result.stderr
    assert "created super-admin root@example.com" in result.stdout
    assert PASSWORD.strip() not in result.stdout + result.stderr
    settings = make_settings(secret_key=SECRET_KEY)
    assert await login_status(settings, PASSWORD) == 200
    assert await login_status(settings, PASSWORD.strip()) == 401


async def test_empty_stdin_creates_nobody(
    database_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    result = run_create_admin(database_url, tmp_path, "")

    assert result.returncode == 1
    assert "no password" in result.stderr
    assert await login_status(make_settings(secret_key=SECRET_KEY), "") != 200


def test_a_crlf_line_ending_is_not_part_of_the_password() -> None:
    assert read_password(io.StringIO("s3cret pass\r\nsecond line\n")) == "s3cret pass"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_at_a_terminal_the_password_is_asked_twice_without_echo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter(["typed password 1", "typed password 1"])
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", fake_getpass)

    assert read_password(Terminal()) == "typed password 1"
    assert len(prompts) == 2


def test_at_a_terminal_two_different_passwords_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["first password 1", "second password 2"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt="": next(answers))
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IDENTITY_ENV", "test")
    monkeypatch.setenv("IDENTITY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")

    assert main(["create-admin", "--email", "root@example.com"]) == 1
    assert "differ" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


def test_the_help_says_where_the_password_comes_from(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["create-admin", "--help"])

    text = " ".join(capsys.readouterr().out.split())
    assert "standard input" in text
    assert "prompt" in text
