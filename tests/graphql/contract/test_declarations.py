"""Each mutation is declared once: its own result union, and a description naming its access."""

from __future__ import annotations

from graphql import GraphQLUnionType, get_named_type

from tests.graphql.contract.schema_walk import access, fields


def test_each_mutation_has_its_own_result_union() -> None:
    unions = {
        name: get_named_type(field.type)
        for name, field in fields("mutation").items()
        if isinstance(get_named_type(field.type), GraphQLUnionType)
    }
    misnamed = {
        name: union.name
        for name, union in unions.items()
        if union.name != f"{name[0].upper()}{name[1:]}Result"
    }
    assert misnamed == {}


def test_every_mutation_says_who_may_call_it() -> None:
    silent = [name for name, field in fields("mutation").items() if access(field) is None]
    assert silent == []
