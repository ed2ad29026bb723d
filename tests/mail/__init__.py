"""Tests of the mail outbox, its templates, transports and delivery worker."""
