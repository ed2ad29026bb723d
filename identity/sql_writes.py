"""Which tables a SQL statement writes, and which columns an UPDATE sets, read from its text.

The in-process caches must notice this process's own writes whatever path made them (ORM
flushes, Core bulk statements, text): the principal cache (``identity.invalidation.local``)
and the users listings' totals (``identity.services.users_admin.counts``) both look at every
statement the engines send. This is a hint, not a parser: a statement wrongly taken for a
write costs a cache miss, never a stale answer, so anything unclear counts as a write (an
UPDATE whose assignments cannot be read sets "every column"). Statements are SQLAlchemy's
compiled texts, a small set repeated with bound parameters, so each is read once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

READS: Final = ("SELECT", "BEGIN", "COMMIT", "ROLLBA", "SAVEPO", "RELEAS", "PRAGMA", "EXPLAI")
STATEMENTS_KEPT: Final = 4096

_WRITE = re.compile(
    r"\b(?:(INSERT\s+(?:OR\s+\w+\s+)?INTO|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)|(UPDATE))"
    r"\s+\"?(\w+)\"?",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"\b(?:WHERE|RETURNING|FROM)\b", re.IGNORECASE)
_ASSIGNED = re.compile(r"(?:^\s*SET|,)\s*\"?(\w+)\"?\s*=", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Write:
    table: str
    """Lower case, without quotes."""
    columns: frozenset[str] | None
    """The columns an UPDATE sets; None for an INSERT, DELETE, TRUNCATE or an UPDATE whose
    assignments were not read (every column)."""

    def only_sets(self, columns: frozenset[str]) -> bool:
        """Whether this is an UPDATE known to set nothing but ``columns``."""
        return self.columns is not None and self.columns <= columns


@lru_cache(maxsize=STATEMENTS_KEPT)
def writes(statement: str) -> tuple[Write, ...]:
    """Every table ``statement`` may write, in order (a CTE may write several)."""
    if statement.lstrip()[:6].upper() in READS:
        return ()
    found: list[Write] = []
    for match in _WRITE.finditer(statement):
        table = match.group(3).lower()
        if match.group(2) is None:
            found.append(Write(table, None))
            continue
        assignments = _CLAUSE_END.split(statement[match.end() :], maxsplit=1)[0]
        columns = frozenset(column.lower() for column in _ASSIGNED.findall(assignments))
        found.append(Write(table, columns or None))
    return tuple(found)
