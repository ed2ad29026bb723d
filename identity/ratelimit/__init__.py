"""Rate budgets: the catalogue (``budgets``) and the limiter that spends them (``limiter``)."""

from identity.ratelimit.budgets import DEFAULTS, Budget, resolve
from identity.ratelimit.limiter import Backend, Limiter
from identity.ratelimit.verdicts import Verdict

__all__ = ["DEFAULTS", "Backend", "Budget", "Limiter", "Verdict", "resolve"]
