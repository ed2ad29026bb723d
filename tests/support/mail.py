"""The mail catcher: what the in-process SMTP server (``tests.support.smtp``) received, read
the way a person reads it, one message at a time per address."""

from __future__ import annotations

import dataclasses
import re
from email.message import EmailMessage

from tests.support.smtp import SmtpServer

FRONTEND = "https://app.example.com"
_CODE = re.compile(r"^Or enter this code: (\S+)$", re.MULTILINE)


@dataclasses.dataclass(frozen=True, slots=True)
class Mail:
    """One message the SMTP server received, as a person reads it."""

    to: str
    subject: str
    text: str

    @classmethod
    def of(cls, message: EmailMessage) -> Mail:
        body = message.get_body(preferencelist=("plain",))
        assert body is not None, "every mail has a text part"
        text = body.get_content().replace("\r\n", "\n")  # SMTP's line ends
        return cls(to=str(message["To"]), subject=str(message["Subject"]), text=text)

    @property
    def token(self) -> str:
        """The code the text part carries; its link carries the same token."""
        found = _CODE.search(self.text)
        assert found is not None, self.text
        token = found.group(1)
        assert f"#token={token}" in self.text, self.text
        return token

    def link(self, page: str) -> str:
        """The link to a page of the web app, the token in its fragment."""
        return f"{FRONTEND}/{page}#token={self.token}"


class Mailbox:
    """Mail as it arrives at the SMTP server, taken one message at a time per address."""

    def __init__(self, smtp: SmtpServer) -> None:
        self.smtp = smtp
        self._taken: set[int] = set()

    async def next_to(self, address: str, subject: str | None = None) -> Mail:
        """The oldest message to ``address`` (with ``subject``) not taken yet.

        Waits for it to arrive, 10 seconds at most.
        """
        while True:
            messages = self.smtp.messages
            for index, message in enumerate(messages):
                if index in self._taken or message["To"] != address:
                    continue
                if subject is None or message["Subject"] == subject:
                    self._taken.add(index)
                    return Mail.of(message)
            await self.smtp.wait_for(len(messages) + 1)

    def received_by(self, address: str) -> list[Mail]:
        """Everything delivered to ``address`` so far, taken or not."""
        return [Mail.of(message) for message in self.smtp.messages if message["To"] == address]
