"""Loading ahead reads the selection through fragments and repeated fields."""

from __future__ import annotations

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from schema.selection import selects, under


def field(name: str, *selections: Selection) -> SelectedField:
    return SelectedField(name=name, directives={}, arguments={}, selections=list(selections))


def test_a_field_selected_twice_is_read_in_both_places() -> None:
    selected = [
        field("users", field("totalCount")),
        field("users", field("edges", field("node", field("roles", field("name"))))),
    ]

    node = under(selected, "users", "edges", "node")

    assert selects(node, "roles")
    assert not selects(node, "permissions")


def test_fragments_are_looked_into() -> None:
    node = [
        InlineFragment(type_condition="User", selections=[field("permissions")], directives={}),
        FragmentSpread(
            name="F",
            type_condition="User",
            directives={},
            selections=[field("roles", field("permissions", field("name")))],
        ),
    ]

    assert selects(node, "permissions")
    assert selects(node, "roles", "permissions")
    assert not selects(node, "roles", "users")
