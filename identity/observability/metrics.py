"""Prometheus metrics, kept in a registry per app so several apps can live in one process."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MAX_OPERATION_NAMES = 200
MAX_OPERATION_NAME_LENGTH = 100
OTHER_OPERATION = "other"
INVALID_OUTCOME = "invalid"
ANONYMOUS_OPERATION = "<anonymous>"
REQUEST_SERIES = 4096

# Counted where access tokens are checked (``services.auth.authenticate``), which has no app
# at hand: one process-wide counter, published by every app's registry. Reasons are a fixed
# set: invalid, expired, session_ended, account_disabled.
INVALID_ACCESS_TOKENS = Counter(
    "identity_invalid_access_tokens",
    "Access tokens refused, by reason (counted, not audited, so they cannot flood the log)",
    ["reason"],
    registry=None,
)
for _reason in ("invalid", "expired", "session_ended", "account_disabled"):
    INVALID_ACCESS_TOKENS.labels(_reason)

# Counted by the limiter (``identity.ratelimit``), one process-wide counter like the above.
# Budgets are the fixed catalogue of ``identity.ratelimit.Budget``.
RATE_LIMITED = Counter(
    "identity_rate_limited",
    "Requests refused because a rate budget was spent, by budget",
    ["budget"],
    registry=None,
)
RATE_LIMIT_BACKENDS = ("memory", "connected", "unreachable")


class _PoolCollector(Collector):
    """Reads the pool at scrape time, so the figures are never stale."""

    def __init__(self, read_pool: Callable[[], dict[str, int]]) -> None:
        self._read_pool = read_pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "identity_db_pool_connections", "Database pool connections by state", labels=["state"]
        )
        for state, value in self._read_pool().items():
            family.add_metric([state], value)
        yield family


class _RateLimitCollector(Collector):
    """Where rate-limit counters live now: 1 for the current state, 0 for the others."""

    def __init__(self, read_backend: Callable[[], str | None]) -> None:
        self._read_backend = read_backend

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "identity_rate_limit_backend",
            "Rate-limit counters: memory (no Redis), connected (Redis) or unreachable "
            "(Redis down, counting in memory)",
            labels=["state"],
        )
        current = self._read_backend()
        if current is not None:
            for state in RATE_LIMIT_BACKENDS:
                family.add_metric([state], 1.0 if state == current else 0.0)
        yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._operation_names: set[str] = set()
        self._request_series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self.requests = Counter(
            "identity_http_requests_total",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "identity_http_request_duration_seconds",
            "HTTP request latency by route template and method",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.graphql_operations = Counter(
            "identity_graphql_operations_total",
            "GraphQL operations by type, outcome and operation name (the first "
            f"{MAX_OPERATION_NAMES} valid names seen, the rest '{OTHER_OPERATION}')",
            ["operation", "type", "outcome"],
            registry=self.registry,
        )
        self.registry.register(INVALID_ACCESS_TOKENS)
        self.registry.register(RATE_LIMITED)
        self.registry.register(PRINCIPAL_CACHE)

    def watch_pool(self, read_pool: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_PoolCollector(read_pool))

    def watch_rate_limits(self, read_backend: Callable[[], str | None]) -> None:
        self.registry.register(_RateLimitCollector(read_backend))

    def observe_request(self, *, route: str, method: str, status: int, seconds: float) -> None:
        """Looking the labelled series up costs twice what counting does: the pair is kept
        per route, method and status (``REQUEST_SERIES`` of them, then started afresh)."""
        key = (route, method, status)
        series = self._request_series.get(key)
        if series is None:
            series = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
            )
            if len(self._request_series) >= REQUEST_SERIES:
                self._request_series.clear()
            self._request_series[key] = series
        series[0].inc()
        series[1].observe(seconds)

    def observe_graphql(self, *, operation: str | None, kind: str, outcome: str) -> None:
        """``kind`` and ``outcome`` come from fixed sets; ``operation`` is the client's."""
        self.graphql_operations.labels(
            self._operation_label(operation, outcome), kind, outcome
        ).inc()

    def _operation_label(self, name: str | None, outcome: str) -> str:
        """The client chooses operation names, so each would be a label set of its own kept
        for the life of the process: only a bounded set of names becomes a label, admitted
        first come from operations that passed validation; every other name is ``other``."""
        if name is None:
            return ANONYMOUS_OPERATION
        if name in self._operation_names:
            return name
        if (
            outcome == INVALID_OUTCOME
            or len(name) > MAX_OPERATION_NAME_LENGTH
            or len(self._operation_names) >= MAX_OPERATION_NAMES
        ):
            return OTHER_OPERATION
        self._operation_names.add(name)
        return name

    def render(self) -> bytes:
        return generate_latest(self.registry)


# Counted by the principal cache (``identity.invalidation.cache``), process-wide like the
# above: a caller served from memory (hit), read from the database (miss), or read from the
# database because the cache may not be trusted now (bypass: its channel is down, or a write
# of this process awaits its invalidations).
PRINCIPAL_CACHE = Counter(
    "identity_principal_cache",
    "Callers authenticated from the in-process cache (hit) or the database (miss, bypass)",
    ["outcome"],
    registry=None,
)
for _outcome in ("hit", "miss", "bypass"):
    PRINCIPAL_CACHE.labels(_outcome)
