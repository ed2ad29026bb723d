"""A real SMTP server in the test process (aiosmtpd) that keeps what it receives.

It runs in a thread of its own, on a fixed free port, so it can be stopped (an outage: clients
get "connection refused") and started again at the same address.
"""

from __future__ import annotations

import asyncio
import email
import threading
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.postgres import free_port

HOST = "127.0.0.1"


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, _options: Any
    ) -> str:
        if address in self.server.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=default)
        assert isinstance(message, EmailMessage)
        self.server.keep(message)
        return "250 Message accepted for delivery"


class SmtpServer:
    """``url`` for the settings; ``messages`` what arrived; ``refused`` addresses answer 550."""

    def __init__(self, *, login: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.login = login
        self.refused: set[str] = set()
        self._messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._arrivals: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def keep(self, message: EmailMessage) -> None:
        """Called on the server's thread; wakes whoever waits in ``wait_for``."""
        with self._lock:
            self._messages.append(message)
            arrivals = list(self._arrivals)
        for loop, arrived in arrivals:
            loop.call_soon_threadsafe(arrived.set)

    def _authenticate(
        self, _server: SMTP, _session: Session, _envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and self.login is not None
            and (data.login.decode(), data.password.decode()) == self.login
        )
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        """Serve (again) on the same port; a stopped controller cannot restart, so a new one."""
        if self._controller is not None:
            return
        options: dict[str, Any] = {}
        if self.login is not None:
            options = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(_Handler(self), hostname=HOST, port=self.port, **options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def wait_for(self, count: int) -> list[EmailMessage]:
        """The messages, once at least ``count`` have arrived (10 seconds at most)."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._arrivals.append(waiter)
        try:
            async with asyncio.timeout(10):
                while len(self.messages) < count:
                    await waiter[1].wait()
                    waiter[1].clear()
        finally:
            with self._lock:
                self._arrivals.remove(waiter)
        return self.messages
