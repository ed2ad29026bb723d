"""Fixtures of the mailed-link flows: the real app, its real mail worker, a real SMTP server.

Every test here runs the app over ASGI with ``smtp_url`` pointing at an in-process aiosmtpd
server. A flow is completed the way a person would: the token is read from the text part of
the mail that arrived, and sent back over HTTP.

``@pytest.mark.settings(name=value, ...)`` changes settings of the app under test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.config import Settings
from identity.models import MailStatus, OneTimeToken, OutboxMail, User
from identity.services import after_answer
from tests.support.app import runtime
from tests.support.clocks import MovableClock, install_clock
from tests.support.mail import FRONTEND, Mailbox
from tests.support.smtp import SmtpServer

VERIFY_SUBJECT = "Verify your email address"
RESET_SUBJECT = "Reset your password"
MAGIC_SUBJECT = "Your sign-in link"
CHANGE_SUBJECT = "Confirm your new email address"
CHANGED_SUBJECT = "Your email address was changed"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "settings(**overrides): settings of the app under test in tests/flows"
    )


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp: SmtpServer) -> Mailbox:
    return Mailbox(smtp)


@pytest.fixture
def make_flow_settings(
    make_settings: Callable[..., Settings], smtp: SmtpServer
) -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "smtp_url": smtp.url,
            "smtp_timeout_seconds": 5,
            "frontend_url": FRONTEND,
        }
        values.update(overrides)
        return make_settings(**values)

    return make


@pytest.fixture
def settings(
    make_flow_settings: Callable[..., Settings], request: pytest.FixtureRequest
) -> Settings:
    """The app's settings (``app`` and ``client`` of tests/conftest.py build on them)."""
    marker = request.node.get_closest_marker("settings")
    return make_flow_settings(**(marker.kwargs if marker else {}))


ShiftedClock = MovableClock


@pytest.fixture
def clock(app: FastAPI, client: httpx.AsyncClient) -> ShiftedClock:
    """A clock the running app's services and mail worker read from now on.

    ``create_app`` takes no clock, so the one the lifespan built is swapped here. Access tokens
    are checked against the real time by PyJWT: a test moves the clock only after it is done
    with the access tokens issued before.
    """
    return install_clock(app)


async def _unsent(app: FastAPI) -> int:
    async with runtime(app).database.read() as session:
        found = await session.execute(
            select(col(OutboxMail.id)).where(
                col(OutboxMail.status).in_([MailStatus.PENDING, MailStatus.SENDING])
            )
        )
        return len(found.all())


async def settled(app: FastAPI) -> None:
    """Wait until the work done after answering is over (it queues the mail of "same answer"
    routes), then until the app's worker has sent (or given up) every mail queued so far."""
    async with asyncio.timeout(10):
        await after_answer.settle()
        while await _unsent(app):  # noqa: ASYNC110 (the worker signals no event for this)
            await asyncio.sleep(0.01)


async def queued_to(app: FastAPI, address: str) -> list[OutboxMail]:
    """The outbox rows of mail to ``address``: what the app decided to send, sent or not."""
    async with runtime(app).database.read() as session:
        found = await session.execute(
            select(OutboxMail).where(col(OutboxMail.to_address) == address)
        )
        return list(found.scalars().all())


async def user_row(app: FastAPI, email: str) -> User | None:
    """The account that signs in with ``email``, as stored."""
    async with runtime(app).database.read() as session:
        found = await session.execute(select(User).where(col(User.email_key) == email.lower()))
        return found.scalars().first()


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    """``POST /v1/auth/login`` (seeds 002 and 003)."""
    return await client.post("/v1/auth/login", json={"email": email, "password": password})


async def token_rows(app: FastAPI) -> list[OneTimeToken]:
    """Every one-time token as stored."""
    async with runtime(app).database.read() as session:
        return list((await session.execute(select(OneTimeToken))).scalars().all())
