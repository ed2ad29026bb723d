"""Requests arriving while the runtime settings are read again share that one read."""

from __future__ import annotations

import asyncio

from identity.services import runtime_settings
from tests.ratelimit.conftest import Limited
from tests.support.clocks import install_clock
from tests.support.statements import counting

JWKS = "/.well-known/jwks.json"


async def test_requests_after_the_settings_cache_expired_read_them_once(
    limited: Limited,
) -> None:
    client, app = await limited(rate_limits={"category.general": "1000/hour"})
    assert (await client.get(JWKS)).status_code == 200  # the settings read and cached
    clock = install_clock(app)
    clock.advance(seconds=runtime_settings.CACHE_SECONDS + 1)
    with counting(app) as statements:
        answers = await asyncio.gather(*(client.get(JWKS) for _ in range(12)))
    assert [r.status_code for r in answers] == [200] * 12
    assert sorted(int(r.headers["x-ratelimit-remaining"]) for r in answers) == list(range(987, 999))
    reads = [one for one in statements.queries if "runtime_settings" in one]
    assert len(reads) == 1
