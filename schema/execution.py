"""graphql-core's executor, with a short path for values that need no resolver.

Most values of a list page are plain attributes (``User.email``) and lists of plain
scalars (``User.permissions``). graphql-core executes each of them like any other field:
a resolve info, a path, the resolver, then four levels of value completion. That costs far
more than the value itself. Here a field Strawberry resolves by reading an attribute, whose
type is a scalar or an enum and which takes no arguments, is read and coerced directly; a
list of plain ``str``/``int``/``float``/``bool`` items is coerced in one pass, and so is a
list of objects whose selected fields are all plain (``permissions { name }``).

Anything unusual (null in a non-null field, a value the scalar refuses, an awaitable, a
middleware, ``@stream``) goes down graphql-core's own path, so errors, their paths and
null propagation are exactly graphql-core's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Undefined,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

STRAWBERRY_DEFINITION = "strawberry-definition"
BASIC_RESOLVER = "_get_basic_result"
PLAIN_SCALARS = frozenset({str, int, float, bool})
_CACHE_ATTRIBUTE = "_identity_plain_leaf"
TYPENAME = "__typename"


class PlainLeaf(NamedTuple):
    """How to produce a plain field's value without resolving it."""

    attribute: str
    coerce: Callable[[Any], Any]
    non_null: bool


def plain_leaf(field: GraphQLField) -> PlainLeaf | None:
    """The short path for ``field``, or None when it needs the executor; worked out once."""
    try:
        return field.__dict__[_CACHE_ATTRIBUTE]  # type: ignore[no-any-return]
    except KeyError:
        found = field.__dict__[_CACHE_ATTRIBUTE] = _plain_leaf(field)
        return found


def _plain_leaf(field: GraphQLField) -> PlainLeaf | None:
    definition = (field.extensions or {}).get(STRAWBERRY_DEFINITION)
    resolve = field.resolve
    if (
        not isinstance(definition, StrawberryField)
        or field.args
        or resolve is None
        or getattr(resolve, "__name__", "") != BASIC_RESOLVER
        or definition.default_resolver is not getattr
    ):
        return None
    field_type: Any = field.type
    non_null = is_non_null_type(field_type)
    inner = field_type.of_type if non_null else field_type
    if not is_leaf_type(inner):
        return None
    return PlainLeaf(definition.python_name, inner.coerce_output_value, non_null)


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        shortcut: dict[str, Any] = {}
        slow: GroupedFieldSet = {}
        fields = parent_type.fields
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            field = fields.get(node.name.value)
            leaf = plain_leaf(field) if field is not None and not node.arguments else None
            value = self._read(leaf, source_value) if leaf is not None else Undefined
            if value is Undefined:
                slow[response_name] = details
            else:
                shortcut[response_name] = value
        if not slow:
            return shortcut
        executed = super().execute_fields(parent_type, source_value, path, slow, position_context)
        if isinstance(executed, dict):
            return _in_order(grouped_field_set, shortcut, executed)

        async def merged() -> dict[str, Any]:
            return _in_order(grouped_field_set, shortcut, await executed)

        return merged()

    def _read(self, leaf: PlainLeaf, source: Any) -> Any:
        """The completed value, or Undefined to let graphql-core do it (and its errors)."""
        try:
            value = getattr(source, leaf.attribute)
            if value is None:
                return Undefined if leaf.non_null else None
            if type(value) not in PLAIN_SCALARS and self.is_awaitable(value):
                return Undefined
            coerced = leaf.coerce(value)
        except Exception:  # graphql-core reports it on the slow path
            return Undefined
        return Undefined if coerced is None else coerced

    def _plain_rows(
        self, item_type: GraphQLObjectType, field_details_list: FieldDetailsList, items: list[Any]
    ) -> list[dict[str, Any]] | None:
        """A list of objects whose selected fields are all plain, completed row by row;
        None when one of them is not, or when any value needs graphql-core."""
        plan = self._plain_plan(item_type, field_details_list)
        if plan is None:
            return None
        rows: list[dict[str, Any]] = []
        for item in items:
            if item is None or self.is_awaitable(item):
                return None
            row: dict[str, Any] = {}
            for response_name, leaf in plan:
                value = item_type.name if leaf is None else self._read(leaf, item)
                if value is Undefined:
                    return None
                row[response_name] = value
            rows.append(row)
        return rows

    def _plain_plan(
        self, item_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> list[tuple[str, PlainLeaf | None]] | None:
        """(response name, how to read it; None for ``__typename``) per selected field."""
        grouped, defer_usages, forbidden = self.collect_subfields(item_type, field_details_list)
        if defer_usages or forbidden:
            return None
        plan: list[tuple[str, PlainLeaf | None]] = []
        for response_name, details in grouped.items():
            node = details[0].node
            if node.name.value == TYPENAME:
                plan.append((response_name, None))
                continue
            field = item_type.fields.get(node.name.value)
            leaf = plain_leaf(field) if field is not None and not node.arguments else None
            if leaf is None:
                return None
            plan.append((response_name, leaf))
        return plan

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        item_type: Any = return_type.of_type
        inner = item_type.of_type if is_non_null_type(item_type) else item_type
        if type(result) is list and is_object_type(inner) and inner.is_type_of is None:
            rows = self._plain_rows(inner, field_details_list, result)
            if rows is not None:
                return rows
        if (
            type(result) is list
            and is_leaf_type(inner)
            and all(type(item) in PLAIN_SCALARS for item in result)
            and self.get_stream_usage(field_details_list, path) is None
        ):
            try:
                coerced = [inner.coerce_output_value(item) for item in result]
            except Exception:  # graphql-core reports it on the slow path
                coerced = None
            if coerced is not None and all(
                value is not None and value is not Undefined for value in coerced
            ):
                return coerced
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )


def _in_order(
    grouped_field_set: GroupedFieldSet, shortcut: dict[str, Any], executed: dict[str, Any]
) -> dict[str, Any]:
    """Both halves in the order the query asked for them (a field may be Undefined: absent)."""
    merged: dict[str, Any] = {}
    for response_name in grouped_field_set:
        if response_name in shortcut:
            merged[response_name] = shortcut[response_name]
        elif response_name in executed:
            merged[response_name] = executed[response_name]
    return merged
