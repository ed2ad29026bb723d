"""The mail fixtures of tests/flows (an in-process SMTP server, the app's real worker, a
movable clock): invitations are mailed."""

from tests.flows.conftest import clock, mailbox, make_flow_settings, settings, smtp

__all__ = ["clock", "mailbox", "make_flow_settings", "settings", "smtp"]
