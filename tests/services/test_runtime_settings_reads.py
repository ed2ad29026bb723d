"""The runtime settings' cache: one read per expiry, whatever the callers, and a change made
here seen by the next caller even while a read is under way."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from identity.services import runtime_settings
from identity.services.runtime_settings import RuntimeValues
from tests.factories import super_admin
from tests.support.app import runtime
from tests.support.clocks import install_clock
from tests.support.statements import counting


async def test_callers_after_the_cache_expired_share_one_read(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given: the values read and kept, then their time passed
    clock = install_clock(app)
    await runtime_settings.current(runtime(app).deps)
    clock.advance(seconds=runtime_settings.CACHE_SECONDS + 1)

    # when: twelve callers at once
    with counting(app) as statements:
        answers = await asyncio.gather(
            *(runtime_settings.current(runtime(app).deps) for _ in range(12))
        )

    # then
    assert len([one for one in statements.queries if "runtime_settings" in one]) == 1
    assert len({id(answer) for answer in answers}) == 1


async def test_a_change_made_during_a_read_is_seen_by_the_next_caller(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a read under way that read the values before the change
    root = await super_admin(app)
    clock = install_clock(app)
    deps = runtime(app).deps
    before = (await runtime_settings.current(deps)).lockout_threshold
    clock.advance(seconds=runtime_settings.CACHE_SECONDS + 1)
    read, release = asyncio.Event(), asyncio.Event()
    read_all = runtime_settings.read_all

    async def held(*args: object) -> list[runtime_settings.SettingValue]:
        values = await read_all(*args)  # type: ignore[arg-type]
        read.set()
        await release.wait()
        return values

    monkeypatch.setattr(runtime_settings, "read_all", held)
    under_way = asyncio.create_task(runtime_settings.current(deps))
    await read.wait()
    monkeypatch.setattr(runtime_settings, "read_all", read_all)

    # when: the value changes here, then the read ends
    changed = await client.patch(
        "/v1/admin/settings/lockout_threshold", json={"value": before + 1}, headers=root.headers
    )
    release.set()
    stale: RuntimeValues = await under_way

    # then: what was read before the change is not what the next caller gets
    assert changed.status_code == 200, changed.text
    assert stale.lockout_threshold == before
    assert (await runtime_settings.current(deps)).lockout_threshold == before + 1
