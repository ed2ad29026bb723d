"""Answers of the login step: a second factor due, an enrolment due, a login code mailed."""

from __future__ import annotations

from typing_extensions import TypedDict


class MfaRequiredOut(TypedDict):
    """A first factor's answer for an account with MFA: no tokens, no session yet."""

    mfa_required: bool
    user_id: str
    mfa_token: str
    methods: list[str]
    preferred: str | None
    expires_in: int
    message: str


class MfaEnrollmentRequiredOut(TypedDict):
    """A first factor's answer for an account that must set up MFA first."""

    mfa_enrollment_required: bool
    user_id: str
    enrollment_token: str
    expires_in: int
    message: str


class EmailCodeSentOut(TypedDict):
    message: str
    expires_in: int
