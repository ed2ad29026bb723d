"""The one JSON rule of every route: nesting is bounded before any parser sees the text.

Python's ``json`` parser recurses once per level, so a few kilobytes of ``[[[[...`` raise
``RecursionError`` inside whichever framework parses them (a 500), and graphql-core recurses
again over nested variables. A request body or query parameter nested deeper than
``MAX_JSON_DEPTH`` is refused before it is parsed.
"""

from __future__ import annotations

import re

MAX_JSON_DEPTH = 32
"""Our documents nest three or four levels; 32 leaves room for free-form fields such as a
login's ``device_info``."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_PAIR = b"[]"


def looks_like_json(text: bytes) -> bool:
    stripped = text.lstrip()
    return stripped[:1] in (b"[", b"{")


def nesting_exceeds(text: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` nests arrays and objects deeper than ``limit``.

    Strings are cut out, every bracket made square, everything else dropped; each pass
    then removes the innermost pairs, one level everywhere; unclosed brackets left over count
    as the levels a parser would enter before failing. Every step is one C-level pass over at
    most the body cap.
    """
    skeleton = _STRING.sub(b"", text).translate(_AS_SQUARE, _NOT_BRACKETS)
    levels = 0
    while skeleton:
        shorter = skeleton.replace(_PAIR, b"")
        if shorter == skeleton:
            break
        skeleton = shorter
        levels += 1
        if levels > limit:
            return True
    # What is left is unbalanced ("]]][[["): each unclosed "[" is one more level a parser
    # would enter before failing; a lone "[" in a search term is one level, not a refusal.
    return levels + skeleton.count(b"[") > limit
