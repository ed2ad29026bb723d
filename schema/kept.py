"""What the GraphQL endpoint keeps across operations per document text, bounded in size.

A parsed document, its validation errors, its directive verdict and its object plans cost
~90 bytes per character of the text (nodes with locations, the token chain they hold, an
error per unknown field). Bounded by count alone, 1,024 documents of 14 KB (within the
token and character limits, sent without signing in) kept ~1.3 GB (attack G4). So a text
longer than ``LONGEST`` is never kept (parsed and validated afresh each time: only large
documents pay), and each cache holds at most ``CHARS`` characters of text in all (~24 MB
at that rate), dropping the least recently used first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

LONGEST = 8_192
CHARS = 262_144
COUNT = 1_024

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeptByText(Generic[K, V]):
    """A least-recently-used map whose entries each carry the length of the text they were
    made from; bounded in entries (``count``) and in the sum of those lengths (``chars``)."""

    def __init__(self, *, count: int = COUNT, chars: int = CHARS, longest: int = LONGEST) -> None:
        self.count = count
        self.chars = chars
        self.longest = longest
        self._entries: OrderedDict[K, tuple[int, V]] = OrderedDict()
        self._kept_chars = 0

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[1]

    def put(self, key: K, text_chars: int, value: V) -> None:
        """Keep ``value`` unless its text is longer than ``longest``."""
        if text_chars > self.longest:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._kept_chars -= previous[0]
        self._entries[key] = (text_chars, value)
        self._kept_chars += text_chars
        while len(self._entries) > self.count or self._kept_chars > self.chars:
            _key, (dropped, _value) = self._entries.popitem(last=False)
            self._kept_chars -= dropped

    @property
    def kept_chars(self) -> int:
        return self._kept_chars

    def clear(self) -> None:
        self._entries.clear()
        self._kept_chars = 0

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)
