"""Mailed-link flows (verification, password reset, magic link): their route table.

The handlers live in ``identity.rest.email_flows`` for now; they move here once the shared
credential helper it is being moved onto has landed.
"""

from __future__ import annotations

from identity.rest import email_flows as flows
from identity.rest.routing import row

FORGOT = "Request a password reset mail"
RESET = "Reset the password with a mailed token"
VERIFY = "Verify the email address with a token"

ROUTES = (
    row("POST", "/api/v1/auth/forgot-password", flows._forgot, FORGOT, seeds="000"),
    row("POST", "/api/v1/auth/reset-password", flows._reset, RESET, seeds="000"),
    row("POST", "/v1/auth/forgot-password", flows._forgot, FORGOT, seeds="003"),
    row("POST", "/v1/auth/password/reset-request", flows._forgot, FORGOT, seeds="002"),
    row("POST", "/v1/auth/reset-password", flows._reset, RESET, seeds="003"),
    row("POST", "/v1/auth/password/reset", flows._reset, RESET, seeds="002"),
    row(
        "POST",
        "/v1/auth/send-verification",
        flows._send_verification,
        "Mail me a verification link",
        seeds="003",
    ),
    row(
        "POST",
        "/v1/auth/email/resend-verification",
        flows._resend,
        "Mail a verification link again",
        seeds="002",
    ),
    row("POST", "/v1/auth/verify-email", flows._verify, VERIFY, seeds="003"),
    row("POST", "/v1/auth/email/verify", flows._verify, VERIFY, seeds="002"),
    row("POST", "/v1/auth/magic-link/send", flows._send_link, "Mail a sign-in link", seeds="003"),
    row(
        "POST",
        "/v1/auth/magic-link/verify",
        flows._verify_link,
        "Sign in with a mailed link",
        seeds="003",
    ),
)
