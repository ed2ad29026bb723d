"""Outside production, ``identity serve`` listens beyond loopback only when told to (item 19).

Development prints every mailed token to the console; a server on 0.0.0.0 would hand sign-in
links of whoever registers to anyone on the network.
"""

from __future__ import annotations

import pytest

from identity.cli import build_parser, main, remote_refusal
from identity.config import Settings


@pytest.fixture(autouse=True)
def development(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv("IDENTITY_ENV", "development")
    monkeypatch.setenv("IDENTITY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/identity.db")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com"])  # noqa: S104
def test_serve_refuses_a_non_loopback_host_in_development(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["serve", "--host", host, "--port", "1"])

    assert status == 2
    message = capsys.readouterr().err
    assert f"--host {host}" in message
    assert "--allow-remote" in message


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts_are_served(host: str) -> None:
    assert remote_refusal(Settings(), host, allow_remote=False) is None


def test_allow_remote_lifts_the_refusal() -> None:
    args = build_parser().parse_args(["serve", "--host", "0.0.0.0", "--allow-remote"])  # noqa: S104

    assert args.allow_remote
    assert remote_refusal(Settings(), args.host, allow_remote=args.allow_remote) is None


def test_production_serves_any_host() -> None:
    settings = Settings(
        env="production",
        secret_key="k" * 32,
        database_url="postgresql+asyncpg://db/identity",
        public_url="https://auth.example.com",
    )

    assert remote_refusal(settings, "0.0.0.0", allow_remote=False) is None  # noqa: S104


def test_the_help_tells_of_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])

    assert "--allow-remote" in capsys.readouterr().out
