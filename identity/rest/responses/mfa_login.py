"""Answers of the login step: a second factor due, an enrolment due, a login code mailed."""

from __future__ import annotations

from typing_extensions import TypedDict

from identity.rest.responses.account import LoginOut, PasswordChangedOut


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


class PasswordChangedEnrollmentOut(MfaEnrollmentRequiredOut):
    """A forced password change by an account that must set up MFA first: the password is
    changed, every session ended, and the answer is an enrolment token, no session."""

    sessions_revoked: int


LoginAnswer = LoginOut | MfaRequiredOut | MfaEnrollmentRequiredOut
"""What a first factor answers: tokens, a second factor due, or an enrolment due."""

PasswordChangeAnswer = PasswordChangedOut | PasswordChangedEnrollmentOut
"""What a password change answers: the session's new tokens, or an enrolment due."""
