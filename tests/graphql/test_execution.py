"""The short execution path answers exactly what graphql-core's own executor answers.

Each query runs twice on one schema, with Strawberry's execution context and with ours,
and data and errors (messages, paths) must be equal; the cases are the ones the short
path has to hand back to graphql-core: nulls in non-null fields, values a scalar refuses,
awaitables, arguments, aliases, fragments, ``__typename``, lists, nested objects and
resolvers, replayable or not.
"""

from __future__ import annotations

import asyncio
import enum
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionResult

from schema.execution import replayable
from schema.short_path import ExecutionContext, field_plan

CALLS: list[str] = []


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    name: str
    count: int
    ratio: float | None
    colour: Colour
    when: datetime
    tags: list[str]
    maybe_tags: list[str | None] | None
    strict_tags: list[str]
    child: Item | None = None

    @strawberry.field
    def shout(self, suffix: str = "!") -> str:
        return self.name.upper() + suffix

    @strawberry.field
    @replayable
    def doubled(self) -> int:
        return self.count * 2

    @strawberry.field
    @replayable
    def field_name(self, info: strawberry.Info) -> str:
        return f"{info.field_name} at {'.'.join(map(str, info.path.as_list()))}"

    @strawberry.field
    @replayable
    def pending(self) -> str:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        future.set_result(self.name)
        return future  # type: ignore[return-value]  # an awaitable from a sync resolver

    @strawberry.field
    def unmarked(self) -> list[str]:
        return [self.name]

    @strawberry.field
    @replayable
    def counted(self) -> str:
        CALLS.append(self.name)
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        future.set_result(self.name)
        return future  # type: ignore[return-value]  # an awaitable from a sync resolver

    @strawberry.field
    async def later(self) -> str:
        await asyncio.sleep(0)
        return self.name


def _items() -> list[Any]:
    good = Item(
        name="a",
        count=1,
        ratio=0.5,
        colour=Colour.RED,
        when=datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
        tags=["x", "y"],
        maybe_tags=["x", None],
        strict_tags=["s"],
        child=Item(
            name="c",
            count=3,
            ratio=None,
            colour=Colour.BLUE,
            when=datetime(2026, 11, 22, tzinfo=UTC),
            tags=[],
            maybe_tags=None,
            strict_tags=[],
        ),
    )
    broken = Item(
        name=None,  # type: ignore[arg-type]  # a null in a non-null field
        count="not a number",  # type: ignore[arg-type]  # a value Int refuses
        ratio=None,
        colour=Colour.BLUE,
        when=datetime(2026, 1, 1, tzinfo=UTC),
        tags=["x", None],  # type: ignore[list-item]  # a null item in [String!]!
        maybe_tags=None,
        strict_tags=[1, True, 2.5],  # type: ignore[list-item]  # plain scalars String coerces
    )
    return [good, broken]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return _items()

    @strawberry.field
    def nullable_items(self) -> list[Item | None]:
        return _items()  # type: ignore[return-value]

    @strawberry.field
    def with_gaps(self) -> list[Item | None]:
        return [_items()[0], None]

    @strawberry.field
    def without_gaps(self) -> list[Item]:
        return [_items()[0], None]  # type: ignore[list-item]  # a null item in [Item!]!

    @strawberry.field
    def first(self) -> Item:
        return _items()[0]


def _run(query: str, context_class: type[StrawberryGraphQLCoreExecutionContext]) -> Any:
    schema = strawberry.Schema(query=Query, execution_context_class=context_class)
    result = asyncio.run(schema.execute(query))
    return comparable(result)


def comparable(result: ExecutionResult) -> Any:
    errors = sorted((error.message, tuple(error.path or ())) for error in result.errors or ())
    return result.data, errors


QUERIES = {
    "plain fields": "{ first { name count ratio colour when tags } }",
    "aliases keep the query's order": "{ first { b: count name a: colour count } }",
    "fragments and typename": "{ first { ...F __typename } } fragment F on Item { name tags }",
    "inline fragment": "{ first { ... on Item { count } name } }",
    "arguments take the full path": '{ first { shout(suffix: "?") name } }',
    "async fields mixed in": "{ first { later name count } }",
    "null in a non-null field bubbles up": "{ nullableItems { name count } }",
    "value a scalar refuses": "{ nullableItems { count } }",
    "null item in a non-null list": "{ nullableItems { tags } }",
    "nullable list of nullable items": "{ items { maybeTags } }",
    "plain scalars coerced to String": "{ nullableItems { strictTags } }",
    "errors bubble to the root list": "{ items { name count } }",
    "same field twice": "{ first { name name } }",
    "list of plain objects": "{ items { colour c: count when } }",
    "list of plain objects with typename": "{ items { __typename name } }",
    "list of objects with a field that is not plain": "{ items { name later } }",
    "null item in a list of plain objects": "{ withGaps { ratio colour } }",
    "null item in a non-null list of plain objects": "{ withoutGaps { name } }",
    "replayable resolvers": "{ first { doubled fieldName } items { fn: fieldName } }",
    "replayable resolver whose value a scalar refuses": "{ nullableItems { doubled } }",
    "replayable resolver returning an awaitable": "{ items { pending name } }",
    "resolver that is not replayable": "{ items { unmarked name } }",
    "nested objects": "{ items { child { name child { name } fieldName } } }",
    "aliases through nesting": "{ items { x: child { y: name } z: name } }",
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_same_answer_as_graphql_core(query: str) -> None:
    assert _run(query, ExecutionContext) == _run(query, StrawberryGraphQLCoreExecutionContext)


def test_the_short_path_reads_attributes_and_calls_replayable_resolvers_only() -> None:
    schema = strawberry.Schema(query=Query, execution_context_class=ExecutionContext)
    item = schema._schema.type_map["Item"]
    assert {name for name, field in item.fields.items() if field_plan(field)} == {
        "name",
        "count",
        "ratio",
        "colour",
        "when",
        "tags",
        "maybeTags",
        "strictTags",
        "child",
        "doubled",
        "fieldName",
        "pending",
        "counted",
    }


def test_a_selection_given_up_deep_down_is_not_retried_at_each_level() -> None:
    """The short path calls a replayable resolver, sees an awaitable and gives up; each
    level above must then be left to graphql-core, not tried again on the way down."""
    query = "{ items { child { child { counted } counted } counted } }"
    CALLS.clear()
    _run(query, StrawberryGraphQLCoreExecutionContext)
    by_graphql_core = len(CALLS)
    CALLS.clear()
    _run(query, ExecutionContext)

    assert len(CALLS) <= by_graphql_core + 1, CALLS
