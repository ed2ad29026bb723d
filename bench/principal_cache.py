"""CPU and statements per authenticated request with the principal cache on and off, in the
same run, in process, against a bare Starlette route (see ``bench.hot_cpu``).

Two apps on one database (``IDENTITY_PRINCIPAL_CACHE`` on, off), one signed-in user, batches
interleaved; then the statements each app sends for one request of each scenario.

    .venv/bin/python -m bench.principal_cache [--requests 500] [--batches 7] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, text

from bench import bare
from bench.hot_cpu import Call, asgi_call, measure, throwaway_database
from bench.run import PASSWORD
from identity.app import create_app, tune_garbage_collection
from identity.config import Settings

PERMISSIONS_PATH = "/api/v1/roles"
_ADMIN = (
    "UPDATE users SET role_id = (SELECT id FROM roles WHERE name = 'admin' "
    "AND tenant_id IS NULL) WHERE email_key = 'hot@example.com'"
)


def _settings(database_url: str, *, cache: bool) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        rate_limits_enabled=False,
        log_level="WARNING",
        principal_cache=cache,
    )


async def _statements(app: FastAPI, call: Call) -> int:
    engine = app.state.runtime.database.engine.sync_engine
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        await call()
        await asyncio.sleep(0.05)
        seen.clear()
        await call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


async def run(database_url: str, *, requests: int, batches: int) -> None:
    os.environ["IDENTITY_SECRET_KEY"] = "bench-principal-cache-secret-key-0123456789"
    on = create_app(_settings(database_url, cache=True))
    off = create_app(_settings(database_url, cache=False))
    async with on.router.lifespan_context(on), off.router.lifespan_context(off):
        transport = httpx.ASGITransport(app=on)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            user = {"email": "hot@example.com", "password": PASSWORD}
            (await client.post("/api/v1/auth/register", json=user)).raise_for_status()
            async with on.state.runtime.database.unit_of_work() as session:
                await session.execute(text(_ADMIN))  # reads roles: the permissions matter
            login = (await client.post("/api/v1/auth/login", json=user)).json()
        bearer = {"host": "bench", "authorization": f"Bearer {login['access_token']}"}
        graphql = {**bearer, "content-type": "application/json"}
        me_query = json.dumps({"query": "{ me { id email } }"}).encode()
        scenarios: dict[str, Call] = {
            "bare Starlette JSON": asgi_call(bare.app, "GET", "/", {}, b"")
        }
        statements: dict[str, int] = {}
        for label, app in (("off", off), ("on", on)):
            calls = {
                f"REST me, cache {label}": asgi_call(app, "GET", "/api/v1/auth/me", bearer, b""),
                f"GraphQL me, cache {label}": asgi_call(app, "POST", "/graphql", graphql, me_query),
                f"REST roles (a permission), cache {label}": asgi_call(
                    app, "GET", PERMISSIONS_PATH, bearer, b""
                ),
            }
            for name, call in calls.items():
                statements[name] = await _statements(app, call)
            scenarios.update(calls)
        tune_garbage_collection()
        figures = await measure(scenarios, requests=requests, batches=batches)
    bare_ms = figures["bare Starlette JSON"]
    print("\n| scenario | CPU ms | times bare | statements |")
    print("| --- | ---: | ---: | ---: |")
    for name, ms in figures.items():
        print(f"| {name} | {ms:.3f} | {ms / bare_ms:.1f} | {statements.get(name, 0)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    with throwaway_database(sqlite=args.sqlite) as url:
        asyncio.run(run(url, requests=args.requests, batches=args.batches))


if __name__ == "__main__":
    main()
