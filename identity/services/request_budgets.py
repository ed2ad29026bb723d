"""The rate budgets a service charges, per client address, for what it does.

Services charge them, not routes: an operation spends one budget whichever surface asked
for it (any seed's REST path, the GraphQL mutation). The request-wide budgets (category,
plan) are the middleware's (``identity.web.rate_limit``).

Failed logins are counted twice more: per client address across every account (credential
stuffing, password spraying), refused with 429 once spent; and service-wide. While the
service-wide budget is spent the service is under attack: a failed login is answered no
sooner than ``UNDER_ATTACK_ANSWER_SECONDS`` after it arrived, and an attempt on an unknown
account skips the password hash altogether. Both answers take the same time, so the
saving costs no enumeration, and the hashing threads stay free for real accounts.
"""

from __future__ import annotations

import asyncio
import time

from identity.errors import RateLimited
from identity.principal import Principal, RequestMeta
from identity.ratelimit import Budget
from identity.services.deps import Deps

UNDER_ATTACK_ANSWER_SECONDS = 1.0
GLOBAL_KEY = "service"


def client_key(meta: RequestMeta) -> str:
    return meta.ip_address or "unknown"


async def charge(deps: Deps, budget: Budget, meta: RequestMeta) -> None:
    """Spend one of ``budget`` for the caller's address; RateLimited when it is spent.
    An exempt address (``IDENTITY_RATE_LIMIT_EXEMPT``) spends nothing."""
    if not deps.limiter.exempts(meta.ip_address):
        await deps.limiter.charge(budget, client_key(meta))


async def charge_mailing(deps: Deps, budget: Budget, meta: RequestMeta) -> None:
    """An operation that mails someone: its own budget, then the requester's mail budget,
    shared by every route that mails, so one client cannot spend many recipients' caps."""
    await charge(deps, budget, meta)
    await charge(deps, Budget.MAIL_PER_ADDRESS, meta)


async def charge_inviter(deps: Deps, principal: Principal) -> None:
    """Invitations mail someone on behalf of an accountable user with the permission to
    invite: their own budget, per inviting user, instead of the requester's mail budget per
    address (10 an hour would cap a tenant's onboarding); the recipient's cap still holds."""
    if not deps.limiter.exempts(principal.meta.ip_address):
        await deps.limiter.charge(Budget.INVITATION_SEND, f"user:{principal.user_id}")


async def ensure_not_stuffing(deps: Deps, meta: RequestMeta) -> None:
    """RateLimited once this address has failed too many logins, whatever the accounts."""
    if deps.limiter.exempts(meta.ip_address):
        return
    verdict = await deps.limiter.peek(Budget.FAILED_LOGINS_PER_ADDRESS, client_key(meta))
    if not verdict.allowed:
        raise RateLimited(retry_after=verdict.retry_after)


async def under_attack(deps: Deps) -> bool:
    """Whether failed logins service-wide are over their budget."""
    return not (await deps.limiter.peek(Budget.FAILED_LOGINS_GLOBAL, GLOBAL_KEY)).allowed


async def count_failed_login(deps: Deps, meta: RequestMeta) -> None:
    if deps.limiter.exempts(meta.ip_address):
        return
    await deps.limiter.spend(Budget.FAILED_LOGINS_PER_ADDRESS, client_key(meta))
    await deps.limiter.spend(Budget.FAILED_LOGINS_GLOBAL, GLOBAL_KEY)


async def answer_no_sooner(started: float) -> None:
    """Wait until ``UNDER_ATTACK_ANSWER_SECONDS`` after ``started`` (``time.monotonic``)."""
    remaining = started + UNDER_ATTACK_ANSWER_SECONDS - time.monotonic()
    if remaining > 0:
        await asyncio.sleep(remaining)
