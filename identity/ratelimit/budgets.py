"""The catalogue of rate budgets: what each one counts, its default, and how to override it.

A budget is spent per key (a client address, a user, an account identifier); the key is the
caller's business, the budget's limit and window are the operator's (``IDENTITY_RATE_LIMITS``
overrides any default, in the ``limits`` library's notation: ``"10/15 minutes"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from limits import RateLimitItem, parse

from identity.errors import ConfigurationError


class Budget(StrEnum):
    """Every budget the service spends, by stable name (the key of ``IDENTITY_RATE_LIMITS``)."""

    REGISTER = "register"
    LOGIN = "login"
    REFRESH = "refresh"
    MAGIC_LINK_SEND = "magic_link_send"
    FORGOT_PASSWORD = "forgot_password"  # noqa: S105 (a budget name)
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a budget name)
    VERIFICATION_RESEND = "verification_resend"
    MFA_VERIFY = "mfa_verify"
    EMAIL_CODE_SEND = "email_code_send"
    INVITATION = "invitation"
    INVITATION_SEND = "invitation.send"
    AUTHENTICATION = "category.authentication"
    USER_MANAGEMENT = "category.user_management"
    GENERAL = "category.general"
    PLAN_FREE = "plan.free"
    PLAN_PRO = "plan.pro"
    PLAN_ENTERPRISE = "plan.enterprise"
    FAILED_LOGINS_PER_ADDRESS = "failed_logins.address"
    FAILED_LOGINS_GLOBAL = "failed_logins.global"
    MAIL_PER_ADDRESS = "mail.address"
    GRAPHQL_COST = "graphql.cost"


FIXED_WINDOW: frozenset[Budget] = frozenset(
    {
        Budget.AUTHENTICATION,
        Budget.USER_MANAGEMENT,
        Budget.GENERAL,
        Budget.PLAN_FREE,
        Budget.PLAN_PRO,
        Budget.PLAN_ENTERPRISE,
        Budget.GRAPHQL_COST,
    }
)
"""The budgets every request spends, counted in fixed windows (from the first spend);
every other budget is a moving window (``identity.ratelimit.limiter``)."""

DEFAULTS: Mapping[Budget, tuple[str, str]] = {
    Budget.REGISTER: ("5/hour", "Registrations per client address."),
    Budget.LOGIN: ("10/15 minutes", "Login attempts per client address."),
    Budget.REFRESH: ("100/15 minutes", "Token refreshes per client address."),
    Budget.MAGIC_LINK_SEND: ("3/hour", "Sign-in links requested per client address."),
    Budget.FORGOT_PASSWORD: ("5/hour", "Password-reset mails requested per client address."),
    Budget.RESET_PASSWORD: ("10/hour", "Password-reset submissions per client address."),
    Budget.VERIFICATION_RESEND: ("5/hour", "Verification mails requested per client address."),
    Budget.MFA_VERIFY: ("10/15 minutes", "Second-factor attempts per client address."),
    Budget.EMAIL_CODE_SEND: ("5/hour", "Emailed sign-in codes requested per client address."),
    Budget.INVITATION: ("20/hour", "Invitation checks and acceptances per client address."),
    Budget.INVITATION_SEND: ("100/hour", "Invitations sent or resent per inviting user."),
    Budget.AUTHENTICATION: ("10/minute", "Authentication routes, per user or client address."),
    Budget.USER_MANAGEMENT: ("100/minute", "User-management routes, per user."),
    Budget.GENERAL: ("1000/hour", "Every other route, per user or client address."),
    Budget.PLAN_FREE: ("100/minute", "Requests per signed-in user on the free plan."),
    Budget.PLAN_PRO: ("1000/minute", "Requests per signed-in user on the pro plan."),
    Budget.PLAN_ENTERPRISE: ("10000/minute", "Requests per signed-in user on the enterprise plan."),
    Budget.FAILED_LOGINS_PER_ADDRESS: (
        "20/15 minutes",
        "Failed logins per client address, whatever the account (credential stuffing).",
    ),
    Budget.FAILED_LOGINS_GLOBAL: (
        "1000/minute",
        "Failed logins service-wide; beyond it, unknown-account attempts are refused first.",
    ),
    Budget.MAIL_PER_ADDRESS: (
        "10/hour",
        "Requests that mail someone, per client address, across every mailing route.",
    ),
    Budget.GRAPHQL_COST: (
        "500000/minute",
        "GraphQL cost points per user or client address (a 100-user page costs ~13,300).",
    ),
}


def parse_limit(text: str, *, name: str) -> RateLimitItem:
    """One ``limits`` item from ``"N/period"``; ConfigurationError naming the budget."""
    try:
        item = parse(text)
    except ValueError:
        raise ConfigurationError(
            [f"rate limit {name!r}: {text!r} is not a limit such as '10/15 minutes'"]
        ) from None
    if item.amount < 1:
        raise ConfigurationError([f"rate limit {name!r}: the amount must be at least 1"])
    return item


def resolve(overrides: Mapping[str, str]) -> dict[Budget, RateLimitItem]:
    """Every budget's item: the defaults with ``overrides`` applied; unknown names refused."""
    known = {budget.value for budget in Budget}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigurationError(
            [f"IDENTITY_RATE_LIMITS: unknown budget {name!r}" for name in unknown]
        )
    return {
        budget: parse_limit(overrides.get(budget.value, default), name=budget.value)
        for budget, (default, _) in DEFAULTS.items()
    }
