"""What a query selects below a field, through fragments and aliases: for loading ahead."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from strawberry.types.nodes import SelectedField, Selection


def fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields of a selection set, with those of its fragments."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from fields(selection.selections)


def under(selections: Iterable[Selection], *path: str) -> list[Selection]:
    """Everything selected inside the fields named ``path``, one level after another."""
    current = list(selections)
    for name in path:
        current = [
            child for field in fields(current) if field.name == name for child in field.selections
        ]
    return current


def selects(selections: Iterable[Selection], *path: str) -> bool:
    """Whether the field named by the last of ``path`` is selected (``@skip`` is ignored:
    loading ahead for a skipped field costs a statement, not a wrong answer)."""
    *parents, last = path
    return any(field.name == last for field in fields(under(selections, *parents)))
