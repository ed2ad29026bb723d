"""The ``identity`` command as users run it: a real server process in an empty directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.postgres import PostgresCluster, free_port

REPO = Path(__file__).resolve().parent.parent
IDENTITY = str(Path(sys.executable).parent / "identity")


def clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("IDENTITY_")}
    env.update(extra)
    return env


@contextmanager
def running_server(cwd: Path, **env: str) -> Iterator[str]:
    port = free_port()
    log = cwd / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [IDENTITY, "serve", "--port", str(port)],
            cwd=cwd,
            env=clean_env(**env),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # two interpreters start: the migration's and the server's
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(log.read_text())
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


def check_a_working_server(base: str) -> None:
    assert httpx.get(f"{base}/health").status_code == 200
    graphiql = httpx.get(f"{base}/graphql", headers={"accept": "text/html"})
    assert "graphiql" in graphiql.text.lower()
    typename = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"})
    assert typename.json()["data"] == {"__typename": "Query"}
    assert typename.json()["extensions"]["rateLimit"]["cost"] == 1  # limits are on by default
    assert httpx.get(f"{base}/openapi.json").json()["openapi"].startswith("3.")
    assert httpx.get(f"{base}/docs").status_code == 200
    missing = httpx.get(f"{base}/nothing/here")
    assert missing.status_code == 404
    assert missing.json()["error"]["request_id"] == missing.headers["x-request-id"]


def test_serve_in_an_empty_directory_runs_on_sqlite(tmp_path: Path) -> None:
    with running_server(tmp_path) as base:
        check_a_working_server(base)

    assert (tmp_path / "identity.db").exists()


def test_serve_on_postgresql(postgres: PostgresCluster, tmp_path: Path) -> None:
    postgres.sql("CREATE DATABASE serve_check")
    with running_server(tmp_path, IDENTITY_DATABASE_URL=postgres.url("serve_check")) as base:
        check_a_working_server(base)
        detailed = httpx.get(f"{base}/health/detailed").json()

    assert detailed["checks"]["database"]["backend"] == "postgresql"
    assert detailed["checks"]["database"]["response_time_ms"] >= 0
    assert not (tmp_path / "identity.db").exists()


def test_production_without_settings_stops_and_names_them(tmp_path: Path) -> None:
    result = subprocess.run(
        [IDENTITY, "serve"],
        cwd=tmp_path,
        env=clean_env(IDENTITY_ENV="production"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    for name in ("IDENTITY_SECRET_KEY", "IDENTITY_DATABASE_URL", "IDENTITY_PUBLIC_URL"):
        assert name in result.stderr


def test_migrate_brings_a_new_database_to_head(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"

    result = subprocess.run(
        [IDENTITY, "migrate"],
        cwd=tmp_path,
        env=clean_env(IDENTITY_DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "latest migration" in result.stdout
