"""Time to answer of the "same answer" routes, for a known and for an unknown address.

Item 11 of issue 10: forgot-password answered a known address in 14.3 ms (median) and an
unknown one in 5.0 ms, so one request told them apart. The routes now answer before looking
the address up (``identity.services.after_answer``); this script measures what an outsider
sees: the in-process app over ``httpx.ASGITransport`` on SQLite, a real in-process SMTP
server receiving the mail, ``REQUESTS`` requests per address kind and route, known and unknown
alternating. Each timed request is followed, untimed, by waiting for the work it left for
after its answer, so one request's mail work does not slow the next one down.

Known addresses are distinct unverified accounts, so none reaches the mail cap and each
known request really issues a token and queues a mail.

    .venv/bin/python -m bench.same_answer_timing [--requests 50]

Prints the median of each kind per route and the gap (target: under 2 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from identity.app import create_app
from identity.config import Settings
from identity.services import after_answer
from tests.support.smtp import SmtpServer

REQUESTS = 50
ROUTES = {
    "forgot-password (seed 000)": "/api/v1/auth/forgot-password",
    "password/reset-request (seed 002)": "/v1/auth/password/reset-request",
    "forgot-password (seed 003)": "/v1/auth/forgot-password",
    "magic-link/send (seed 003)": "/v1/auth/magic-link/send",
    "email/resend-verification (seed 002)": "/v1/auth/email/resend-verification",
}
TARGET_MS = 2.0


async def timed_post(client: httpx.AsyncClient, path: str, email: str) -> float:
    started = time.perf_counter()
    response = await client.post(path, json={"email": email})
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.text
    await after_answer.settle()
    return elapsed


async def measure(requests: int) -> list[tuple[str, float, float]]:
    smtp = SmtpServer()
    smtp.start()
    try:
        with tempfile.TemporaryDirectory() as directory:
            settings = Settings(
                env="test",
                database_url=f"sqlite+aiosqlite:///{Path(directory) / 'identity.db'}",
                smtp_url=smtp.url,
                frontend_url="https://app.example.com",
                send_verification_on_register=False,
            )
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://bench"
                ) as client:
                    return await _routes(client, requests)
    finally:
        smtp.stop()


async def _routes(client: httpx.AsyncClient, requests: int) -> list[tuple[str, float, float]]:
    results = []
    for number, (name, path) in enumerate(ROUTES.items()):
        known = [f"known-{number}-{index}@example.com" for index in range(requests)]
        for email in known:
            response = await client.post(
                "/v1/auth/register", json={"email": email, "password": "Bench-Password-2026!"}
            )
            assert response.status_code == 201, response.text
        for index in range(10):  # warm-up, not counted
            await timed_post(client, path, f"warm-{number}-{index}@example.com")
        known_ms: list[float] = []
        unknown_ms: list[float] = []
        for index in range(requests):
            known_ms.append(await timed_post(client, path, known[index]))
            unknown_ms.append(
                await timed_post(client, path, f"unknown-{number}-{index}@example.com")
            )
        results.append((name, statistics.median(known_ms), statistics.median(unknown_ms)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    arguments = parser.parse_args()
    results = asyncio.run(measure(arguments.requests))
    print(f"{'route':40} {'known ms':>9} {'unknown ms':>11} {'gap ms':>7}")
    worst = 0.0
    for name, known, unknown in results:
        gap = known - unknown
        worst = max(worst, abs(gap))
        print(f"{name:40} {known:9.2f} {unknown:11.2f} {gap:+7.2f}")
    verdict = "under" if worst < TARGET_MS else "NOT under"
    print(f"largest gap {worst:.2f} ms: {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
