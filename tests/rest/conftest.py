"""Fixtures of the REST tests: a browser-like client for the cookie flows of seed 001."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI


@pytest.fixture
async def browser(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A second client of the running app (``client`` holds its lifespan), over https.

    The auth cookies are ``Secure`` by default, and a cookie jar only sends those back over
    https, as a browser would.
    """
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as opened:
        yield opened
