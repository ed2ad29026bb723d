"""The GraphQL short path: graphql-core's executor, with one pass for what is in memory.

graphql-core executes every value of a response alike: a resolve info, a path, the resolver
through Strawberry's wrappers, four levels of value completion, and a task per item of a
list whose items are awaitable. For a 100-user page with roles and permissions, ~2,000
values, that machinery costs ten times the values themselves.

Once a page's loaders are primed (see ``Loaders.prime_users``) everything below the page's
resolver is in memory. The short path completes such a value in one recursive pass:

- a field Strawberry resolves by reading an attribute is read directly; a scalar or enum
  is coerced, an object or list is completed in turn;
- a resolver marked ``@replayable`` (synchronous, no arguments, safe to call twice) is
  called directly and its result completed in turn; one marked ``@context_only`` (it reads
  ``info.context`` alone) gets one Info per selection, built for its first item;
- a String, ID or Boolean whose value is already a ``str`` or ``bool`` is taken as it is
  (graphql-core's coercion would return it unchanged);
- ``__typename`` is the object type's name.

Anything else (an awaitable, a null in a non-null position, a value a scalar refuses, an
exception, an abstract type, ``@defer``/``@stream``, a middleware) abandons the short
path for that value and graphql-core completes it from the start, so errors, their paths
and null propagation are exactly graphql-core's; a replayable resolver may then run twice.
A selection the short path abandoned once is not tried again in the same operation.

In the app only ``schema.execution`` imports this module, when it builds a schema with the
short path on; if the import or ``check_compatible`` fails, the schema runs on Strawberry's
stock execution context (graphql-core's executor) and one warning is logged.

Upgrade checklist: the private parts of graphql-core and Strawberry this module relies on,
all written against graphql-core 3.3.2 and strawberry-graphql 0.341.2 (the pins in
``pyproject.toml``). Before raising either pin, check each: ``check_compatible`` probes the
ones marked (probed); the canaries in ``tests/graphql/test_short_path_fence.py`` fail when
the users page or ``me`` stops taking the short path (``counts`` shows what it did); and
``tests/graphql/test_execution.py`` compares its answers with graphql-core's. It stays while
it pays: ``python -m bench.short_path`` measured it saving about a third of the users page's
CPU (47 against 68 ms a page in this process), nothing measurable on ``me``.

graphql-core:

- ``Executor.complete_value(return_type, field_details_list, info, path, result,
  position_context)``, ``:meta private:``, is overridden; ``execute_field`` must call it
  for every resolved value, after awaiting an awaitable one (probed: parameter names).
- ``Executor.collect_subfields(object_type, field_details_list)``, ``:meta private:``,
  returning ``CollectedFields(grouped_field_set, new_defer_usages,
  forbidden_directive_instances)`` (probed).
- ``Executor.build_resolve_info(field, nodes, parent_type, path)``, ``:meta private:``
  (probed), ``Executor.is_awaitable`` (probed) and ``Executor.middleware_manager``.
- ``Executor.async_helpers``, set in ``__init__`` to a ``GraphQLResolveInfoHelpers`` of the
  executor's bound methods (a reference cycle): replaced after ``__init__`` by helpers that
  reach ``gather_async_work`` and ``track_async_work`` (probed) weakly, so that an
  operation's objects are freed when it ends, not by the garbage collector.
- ``graphql.execution.collect_fields.FieldDetailsList`` (a list of ``FieldDetails`` with
  ``.node``) and ``CollectedFields``, not exported by ``graphql`` (imported).
- ``graphql.execution.executor.to_nodes``, not exported by ``graphql`` (imported).
- Selections are keyed by ``id(field_details_list)``: graphql-core memoizes subfields by
  that id too and keeps each list alive for the operation, so an id is not reused.
- ``GraphQLField`` keeps a ``__dict__`` (the field's plan is cached there);
- ``graphql.type.scalars.serialize_string``, ``serialize_id`` and ``serialize_boolean``, not
  exported by ``graphql`` (imported), are the built-in scalars' output coercions and return
  a ``str`` (a ``bool``) unchanged: the short path skips the call for those;
  ``GraphQLLeafType.coerce_output_value`` (``serialize`` before 3.3) returns None or
  ``Undefined`` for a value it refuses, or raises; ``GraphQLObjectType.is_type_of``.
- ``@stream`` is recognised by the directive's name on the field node.

Strawberry:

- ``strawberry.schema.schema.StrawberryGraphQLCoreExecutionContext``, the base class (its
  ``__init__`` takes ``operation_extensions``; its ``build_resolve_info`` builds the info
  Strawberry's resolvers expect) (imported).
- ``GraphQLField.extensions["strawberry-definition"]`` (``GraphQLCoreConverter
  .DEFINITION_BACKREF``) holds the ``StrawberryField``.
- The resolver of a plain attribute is recognised by its function name,
  ``_get_basic_result`` (in ``schema_converter.from_resolver``), together with
  ``StrawberryField.default_resolver is getattr`` and ``StrawberryField.python_name``.
  A rename silently ends the short path: only the canary tests notice.
- ``strawberry.types.field.StrawberryField`` (imported): ``.base_resolver``, ``.is_async``,
  ``.extensions`` (probed: ``is_async``).
- ``strawberry.types.fields.resolver.StrawberryResolver`` (imported for the probe):
  ``.wrapped_func`` (where ``@replayable`` leaves its mark),
  ``.arguments``, ``.root_parameter``, ``.parent_parameter``, ``.info_parameter``,
  ``.self_parameter`` (probed, but ``wrapped_func``), and calling the resolver
  (``StrawberryResolver.__call__``) with the source and keyword arguments.
- ``Info(_raw_info=…, _field=…)``, built by hand for a replayable resolver (probed).
- A Strawberry enum's ``coerce_output_value`` accepts the Python enum member.
"""

from __future__ import annotations

import dataclasses
import inspect
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList
from graphql.execution.executor import to_nodes
from graphql.pyutils import AwaitableOrValue, Path
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_string
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver

from schema.execution import CONTEXT_ONLY, REPLAYABLE
from schema.kept import KeptByText

STRAWBERRY_DEFINITION = "strawberry-definition"
BASIC_RESOLVER = "_get_basic_result"
PLAIN_SCALARS = frozenset({str, int, float, bool})
TYPENAME = "__typename"
STREAM = "stream"
_PLAN_ATTRIBUTE = "_identity_field_plan"
COMPLETE_VALUE_PARAMETERS = (
    "return_type",
    "field_details_list",
    "info",
    "path",
    "result",
    "position_context",
)
COLLECTED_FIELDS = ("grouped_field_set", "new_defer_usages", "forbidden_directive_instances")
RESOLVER_PROPERTIES = (
    "arguments",
    "info_parameter",
    "parent_parameter",
    "root_parameter",
    "self_parameter",
)
INFO_FIELDS = ("_raw_info", "_field")


_KEPT_PLANS: KeptByText[tuple[int, ...], tuple[GraphQLObjectType, tuple[Any, ...], Any]] = (
    KeptByText()
)
"""Object plans kept across operations (``ExecutionContext._kept_object_plan``); each holds
its document's nodes, so each counts its document's length (``schema.kept``)."""


class Incompatible(AttributeError):
    """A private part of graphql-core or Strawberry the short path uses is missing or has
    changed shape."""


def check_compatible(base: type[Any] = StrawberryGraphQLCoreExecutionContext) -> None:
    """Probe, once when a schema is built, what would otherwise fail only mid-request."""
    for name in (
        "complete_value",
        "collect_subfields",
        "build_resolve_info",
        "is_awaitable",
        "gather_async_work",
        "track_async_work",
    ):
        if not callable(getattr(base, name, None)):
            raise Incompatible(f"{base.__name__}.{name} is gone")
    parameters = tuple(inspect.signature(base.complete_value).parameters)[1:]
    if parameters != COMPLETE_VALUE_PARAMETERS:
        raise Incompatible(f"{base.__name__}.complete_value now takes {parameters}")
    if CollectedFields._fields != COLLECTED_FIELDS:
        raise Incompatible(f"CollectedFields is now {CollectedFields._fields}")
    missing = [name for name in RESOLVER_PROPERTIES if not hasattr(StrawberryResolver, name)]
    if not hasattr(StrawberryField, "is_async"):
        missing.append("StrawberryField.is_async")
    info_fields = {field.name for field in dataclasses.fields(Info)}
    missing += [f"Info.{name}" for name in INFO_FIELDS if name not in info_fields]
    if missing:
        raise Incompatible(f"gone from Strawberry: {', '.join(missing)}")


class Counts:
    """What the short path did in this process, for the canary tests and benchmarks."""

    __slots__ = ("handed_back", "objects")

    def __init__(self) -> None:
        self.objects = 0
        """Objects the short path completed (also those in a value it then handed back)."""
        self.handed_back = 0
        """Values this execution context left to graphql-core's ``complete_value``."""

    def reset(self) -> None:
        self.objects = self.handed_back = 0


counts = Counts()


class _Abandon(Exception):
    """The short path leaves this value to graphql-core."""


class FieldPlan(NamedTuple):
    """How the short path produces one field of an object type; None: it cannot."""

    attribute: str | None
    """Read this attribute (a basic field) ..."""
    resolver: StrawberryField | None
    """... or call this field's replayable resolver."""
    coerce: Callable[[Any], Any] | None
    """For a scalar or enum field: its coercion."""
    non_null: bool
    as_is: type | None = None
    """The Python type whose values the coercion returns unchanged (``str`` for String and
    ID, ``bool`` for Boolean): a value of exactly that type is taken without the call."""


AS_IS: dict[Callable[[Any], Any], type] = {
    serialize_string: str,
    serialize_id: str,
    serialize_boolean: bool,
}
"""graphql-core's coercions that return a value of exactly this type as it is."""


def field_plan(field: GraphQLField) -> FieldPlan | None:
    """The short path for ``field``, or None when it needs the executor; worked out once."""
    try:
        return field.__dict__[_PLAN_ATTRIBUTE]  # type: ignore[no-any-return]
    except KeyError:
        found = field.__dict__[_PLAN_ATTRIBUTE] = _field_plan(field)
        return found


def _field_plan(field: GraphQLField) -> FieldPlan | None:
    definition = (field.extensions or {}).get(STRAWBERRY_DEFINITION)
    if not isinstance(definition, StrawberryField) or field.args or field.resolve is None:
        return None
    field_type: Any = field.type
    non_null = is_non_null_type(field_type)
    inner = field_type.of_type if non_null else field_type
    coerce = inner.coerce_output_value if is_leaf_type(inner) else None
    if getattr(field.resolve, "__name__", "") == BASIC_RESOLVER:
        if definition.default_resolver is not getattr:
            return None
        as_is = AS_IS.get(coerce) if coerce is not None else None
        return FieldPlan(definition.python_name, None, coerce, non_null, as_is)
    resolver = definition.base_resolver
    if (
        resolver is None
        or not getattr(resolver.wrapped_func, REPLAYABLE, False)
        or definition.is_async
        or definition.extensions
        or resolver.arguments
        or resolver.root_parameter is not None
        or resolver.parent_parameter is not None
    ):
        return None
    return FieldPlan(None, definition, coerce, non_null)


class _Helpers:
    """graphql-core's ``info.async_helpers`` for one execution, without a reference cycle:
    graphql-core's hold the executor's bound methods, and the executor holds them, so every
    operation (its executor, its context, the request behind it) waited for the garbage
    collector. These reach the executor weakly; it lives as long as its execution runs,
    which is when graphql-core and resolvers call them."""

    __slots__ = ("_executor",)

    def __init__(self, executor: ExecutionContext) -> None:
        self._executor = weakref.ref(executor)

    def _alive(self) -> ExecutionContext:
        executor = self._executor()
        if executor is None:
            raise RuntimeError("The GraphQL execution these helpers belong to has finished")
        return executor

    def gather(self, values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return self._alive().gather_async_work(values)

    def track(self, values: Sequence[Any]) -> None:
        self._alive().track_async_work(values)


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        helpers = _Helpers(self)
        self.async_helpers = GraphQLResolveInfoHelpers(gather=helpers.gather, track=helpers.track)

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        abandoned = self._abandoned()
        key = id(field_details_list)
        if (
            key not in abandoned
            and not isinstance(result, Exception)
            and not self._has_middleware()
        ):
            try:
                return self._complete(return_type, field_details_list, path, result)
            except _Abandon:
                abandoned.add(key)
        counts.handed_back += 1
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _abandoned(self) -> set[int]:
        """Selections (by the id of their field-details list) the short path gave up on in
        this operation; graphql-core keeps each list alive, so an id is not reused."""
        found: set[int] = self.__dict__.setdefault("_abandoned_selections", set())
        return found

    def _has_middleware(self) -> bool:
        return self.middleware_manager is not None and bool(self.middleware_manager.middlewares)

    def _scalar(self, coerce: Callable[[Any], Any], non_null: bool, value: Any) -> Any:
        if value is None:
            if non_null:
                raise _Abandon
            return None
        if type(value) not in PLAIN_SCALARS and (
            isinstance(value, Exception) or self.is_awaitable(value)
        ):
            raise _Abandon
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise _Abandon
        return coerced

    def _complete(
        self, return_type: Any, field_details_list: FieldDetailsList, path: Path, value: Any
    ) -> Any:
        """``value`` completed as ``return_type``; _Abandon when graphql-core must do it."""
        try:
            return self._complete_value(return_type, field_details_list, path, value)
        except _Abandon:
            raise
        except Exception as exc:  # graphql-core reports it on its own path
            raise _Abandon from exc

    def _complete_value(
        self, return_type: Any, field_details_list: FieldDetailsList, path: Path, value: Any
    ) -> Any:
        non_null = is_non_null_type(return_type)
        if non_null:
            return_type = return_type.of_type
        if value is None:
            if non_null:
                raise _Abandon
            return None
        if isinstance(value, Exception):  # graphql-core raises what a resolver returns
            raise _Abandon
        if is_leaf_type(return_type):
            return self._scalar(return_type.coerce_output_value, non_null, value)
        if is_list_type(return_type):
            return self._complete_list(return_type, field_details_list, path, value)
        if is_object_type(return_type) and return_type.is_type_of is None:
            return self._complete_object(return_type, field_details_list, path, value)
        raise _Abandon

    def _complete_list(
        self,
        return_type: GraphQLList[Any],
        field_details_list: FieldDetailsList,
        path: Path,
        items: Any,
    ) -> list[Any]:
        if type(items) is not list or any(
            directive.name.value == STREAM
            for directive in field_details_list[0].node.directives or ()
        ):
            raise _Abandon
        item_type: Any = return_type.of_type
        inner = item_type.of_type if is_non_null_type(item_type) else item_type
        if is_leaf_type(inner) and all(type(item) in PLAIN_SCALARS for item in items):
            coerced = [inner.coerce_output_value(item) for item in items]
            if any(value is None or value is Undefined for value in coerced):
                raise _Abandon
            return coerced
        return [
            self._complete_value(item_type, field_details_list, path.add_key(index), item)
            for index, item in enumerate(items)
        ]

    def _complete_object(
        self,
        object_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        source: Any,
    ) -> dict[str, Any]:
        if self.is_awaitable(source):
            raise _Abandon
        completed: dict[str, Any] = {}
        for response_name, plan, field, details in self._object_plan(
            object_type, field_details_list
        ):
            if plan is None:
                completed[response_name] = object_type.name
                continue
            if plan.attribute is not None:
                value = getattr(source, plan.attribute)
                if plan.coerce is not None:
                    if type(value) is plan.as_is or (value is None and not plan.non_null):
                        completed[response_name] = value
                    else:
                        completed[response_name] = self._scalar(plan.coerce, plan.non_null, value)
                    continue
            else:
                value = self._call(plan, object_type, field, details, path, response_name, source)
            try:
                completed[response_name] = self._complete_value(
                    field.type, details, Path(path, response_name, object_type.name), value
                )
            except _Abandon:
                # graphql-core completes the enclosing value: don't retry this selection
                # at each level below it (a replayable resolver would run each time).
                self._abandoned().add(id(details))
                raise
        counts.objects += 1
        return completed

    def _object_plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> list[tuple[str, FieldPlan | None, GraphQLField, FieldDetailsList]]:
        """(response name, plan, field, its details) per selected field, once per selection;
        the plan is None for ``__typename``."""
        plans: dict[tuple[str, int], Any] = self.__dict__.setdefault("_object_plans", {})
        key = (object_type.name, id(field_details_list))
        found = plans.get(key)
        if found is None:
            found = plans[key] = self._kept_object_plan(object_type, field_details_list)
        if found is _Abandon:
            raise _Abandon
        return found  # type: ignore[no-any-return]

    def _kept_object_plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Any:
        """The plan of a selection, kept across operations when it cannot differ between
        them: the same field nodes (of a parsed document the parse cache reuses) on the
        same type, in an operation without variables (``@skip``/``@include`` then read
        literals only), without ``@defer`` or fragment arguments. Nodes are compared by
        identity and held by the entry, so an id is not reused while it is kept."""
        if self.operation.variable_definitions or any(
            details.defer_usage is not None or details.fragment_variable_values is not None
            for details in field_details_list
        ):
            return self._build_object_plan(object_type, field_details_list)
        location = self.operation.loc
        if location is None or len(location.source.body) > _KEPT_PLANS.longest:
            return self._build_object_plan(object_type, field_details_list)
        nodes = tuple(details.node for details in field_details_list)
        key = (id(object_type), *map(id, nodes))
        kept = _KEPT_PLANS.get(key)
        if (
            kept is not None
            and kept[0] is object_type
            and all(a is b for a, b in zip(kept[1], nodes, strict=True))
        ):
            return kept[2]
        built = self._build_object_plan(object_type, field_details_list)
        _KEPT_PLANS.put(key, len(location.source.body), (object_type, nodes, built))
        return built

    def _build_object_plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Any:
        grouped, defer_usages, forbidden = self.collect_subfields(object_type, field_details_list)
        if defer_usages or forbidden:
            return _Abandon
        built: list[tuple[str, FieldPlan | None, GraphQLField | None, FieldDetailsList]] = []
        for response_name, details in grouped.items():
            node = details[0].node
            if node.name.value == TYPENAME:
                built.append((response_name, None, None, details))
                continue
            field = object_type.fields.get(node.name.value)
            plan = field_plan(field) if field is not None and not node.arguments else None
            if field is None or plan is None:
                return _Abandon
            built.append((response_name, plan, field, details))
        return built

    def _call(
        self,
        plan: FieldPlan,
        parent_type: GraphQLObjectType,
        field: GraphQLField,
        details: FieldDetailsList,
        path: Path,
        response_name: str,
        source: Any,
    ) -> Any:
        definition = plan.resolver
        resolver = definition.base_resolver if definition is not None else None
        if definition is None or resolver is None:
            raise _Abandon
        kwargs: dict[str, Any] = {}
        if resolver.info_parameter is not None:
            here = Path(path, response_name, parent_type.name)
            if getattr(resolver.wrapped_func, CONTEXT_ONLY, False):
                info = self._shared_info(definition, field, details, parent_type, here)
            else:
                raw = self.build_resolve_info(field, to_nodes(details), parent_type, here)
                info = Info(_raw_info=raw, _field=definition)
            kwargs[resolver.info_parameter.name] = info
        value = resolver(source, **kwargs) if resolver.self_parameter else resolver(**kwargs)
        if self.is_awaitable(value):
            raise _Abandon
        return value

    def _shared_info(
        self,
        definition: StrawberryField,
        field: GraphQLField,
        details: FieldDetailsList,
        parent_type: GraphQLObjectType,
        here: Path,
    ) -> Info[Any, Any]:
        """The Info of a ``context_only`` resolver, built once per selection: a hundred users'
        ``permissions`` share the first one's (its path names the first item; such a
        resolver reads the context alone). An error abandons the short path and
        graphql-core calls the resolver again with its own info."""
        infos: dict[int, Info[Any, Any]] = self.__dict__.setdefault("_replay_infos", {})
        found = infos.get(id(details))
        if found is None:
            raw = self.build_resolve_info(field, to_nodes(details), parent_type, here)
            found = infos[id(details)] = Info(_raw_info=raw, _field=definition)
        return found
