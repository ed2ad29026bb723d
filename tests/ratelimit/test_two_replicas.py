"""Two server processes on one database and one Redis act as one service.

Real ``identity serve`` processes, a real Redis (Debian's redis-server) and a real SMTP server
in the test process: a budget spent on one replica is spent on the other, a lockout and a
logout on one hold on the other at once, a runtime-setting change on one reaches the other
within its cache time, and a mail queued once is delivered once although both replicas'
workers poll the outbox.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from identity.services.runtime_settings import CACHE_SECONDS
from tests.support.postgres import free_port
from tests.support.redis import RedisServer
from tests.support.smtp import SmtpServer

BIN = Path(sys.executable).parent
ADMIN = {"email": "root@example.com", "password": "Root-Password-2026!"}
USER = {"email": "user@example.com", "password": "SecurePassword123!"}
WRONG = {"email": "user@example.com", "password": "not-the-password"}
JWKS = "/.well-known/jwks.json"

Server = tuple[subprocess.Popen[bytes], str]


def start_servers(env: dict[str, str], folder: Path, count: int) -> list[Server]:
    """``count`` servers started together (each start costs seconds of imports)."""
    started: list[Server] = []
    for number in range(count):
        port = free_port()
        with (folder / f"server-{number}.log").open("wb") as output:
            process = subprocess.Popen(
                [str(BIN / "identity"), "serve", "--port", str(port)],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        started.append((process, f"http://127.0.0.1:{port}"))
    for _process, base in started:  # a connect, not a request: requests spend budgets
        port = int(base.rsplit(":", 1)[1])
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            for process, _ in started:
                process.terminate()
            raise RuntimeError(f"identity serve did not start; logs in {folder}")
    return started


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def replicas(
    database_url: str, redis_server: RedisServer, smtp: SmtpServer, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    env = {
        **os.environ,
        "IDENTITY_ENV": "test",
        "IDENTITY_DATABASE_URL": database_url,
        "IDENTITY_AUTO_MIGRATE": "false",
        "IDENTITY_SECRET_KEY": "replicas-share-this-secret-key-0123456789",
        "IDENTITY_REDIS_URL": redis_server.url,
        "IDENTITY_SMTP_URL": smtp.url,
        "IDENTITY_MAIL_POLL_SECONDS": "0.2",
        "IDENTITY_LOCKOUT_THRESHOLD": "3",
        "IDENTITY_RATE_LIMITS_ENABLED": "true",
        "IDENTITY_RATE_LIMITS": json.dumps(
            {
                "category.general": "40/hour",
                "category.authentication": "1000/minute",
                "category.user_management": "1000/minute",
                "plan.free": "1000/minute",
            }
        ),
        "IDENTITY_DATA_DIR": str(tmp_path),
    }
    subprocess.run(
        [str(BIN / "identity"), "create-admin", "--email", ADMIN["email"]],
        input=ADMIN["password"].encode(),
        env=env,
        check=True,
        capture_output=True,
    )
    redis_server.flush()  # the server is shared with the other database's run
    servers = start_servers(env, tmp_path, 2)
    yield servers[0][1], servers[1][1]
    for process, _ in servers:
        process.terminate()
        process.wait(timeout=30)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(base: str, account: dict[str, str]) -> str:
    response = httpx.post(f"{base}/v1/auth/login", json=account)
    assert response.status_code == 200, response.text
    return str(response.json()["tokens"]["access_token"])


def test_two_replicas_act_as_one(replicas: tuple[str, str], smtp: SmtpServer) -> None:
    a, b = replicas

    # A budget spent on one is spent on the other (per address, shared through Redis).
    remaining = [
        int(httpx.get(f"{url}{JWKS}").headers["x-ratelimit-remaining"])
        for url in (a, b, a, b, a, b)
    ]
    assert remaining == list(range(remaining[0], remaining[0] - 6, -1))
    while httpx.get(f"{a}{JWKS}").status_code != 429:
        pass
    assert httpx.get(f"{b}{JWKS}").status_code == 429

    # A mail queued on one replica is delivered once, whichever worker takes it.
    assert httpx.post(f"{a}/v1/auth/register", json=USER).status_code == 201
    deadline = time.monotonic() + 15
    while USER["email"] not in [m["To"] for m in smtp.messages] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # time for a second delivery, were the other worker to take it too
    assert [m["To"] for m in smtp.messages].count(USER["email"]) == 1

    # A logout on one refuses the token on the other at once.
    token = login(a, USER)
    seen = httpx.get(f"{b}/v1/auth/me", headers=bearer(token))
    assert seen.status_code == 200, (seen.text, seen.headers)
    assert httpx.post(f"{a}/v1/auth/logout", headers=bearer(token)).status_code == 200
    assert httpx.get(f"{b}/v1/auth/me", headers=bearer(token)).status_code == 401

    # A runtime-setting change on one reaches the other within its cache time.
    root = login(b, ADMIN)
    changed = httpx.patch(
        f"{a}/v1/admin/settings/registration_enabled",
        json={"value": False},
        headers=bearer(root),
    )
    assert changed.status_code == 200, changed.text
    time.sleep(CACHE_SECONDS + 0.5)
    other = {"email": "other@example.com", "password": USER["password"]}
    refused = httpx.post(f"{b}/v1/auth/register", json=other)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["message"] == "Registration is closed"

    # A lockout on one holds on the other (threshold 3: two failures on A, one on B).
    for url in (a, a, b):
        assert httpx.post(f"{url}/v1/auth/login", json=WRONG).status_code == 401
    locked = httpx.post(f"{a}/v1/auth/login", json=USER)
    assert locked.status_code == 423, locked.text
