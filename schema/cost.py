"""What a GraphQL operation costs, refused over a ceiling before it runs, spent from a budget.

Each field costs 1 and a list multiplies what it selects by its size: the page size a field
is asked for (``first`` or ``limit``, given or by default; for a connection, the size of its
``edges`` and ``nodes``) or, for a list without one, ``ASSUMED_LIST_SIZE``.
Introspection costs 1 per root field: it has its own depth bound (``schema.limits``).

An operation over ``graphql_max_cost`` is refused with its cost (``QUERY_TOO_COSTLY``)
before it runs; otherwise its cost is spent from the caller's ``graphql.cost`` budget (per
user, per address when anonymous), ``RATE_LIMITED`` once spent. Every answer reports the
tightest budget the request spent and the operation's cost in ``extensions.rateLimit``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.types import ExecutionContext

from identity.errors import RateLimited
from identity.ratelimit import Budget
from identity.ratelimit.callers import caller_of, known_caller
from identity.ratelimit.limiter import request_verdicts
from identity.ratelimit.verdicts import tightest
from schema.context import Context
from schema.kept import KeptByText

QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
ASSUMED_LIST_SIZE = 10
PAGE_ARGUMENTS = ("first", "limit")
MAX_PAGE = 100  # the largest page size any list field serves; the pagination rule refuses more
PAGE_CONTENTS = frozenset({"edges", "nodes"})


def _is_list(field: GraphQLField) -> bool:
    kind: Any = field.type
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        if isinstance(kind, GraphQLList):
            return True
        kind = kind.of_type
    return False


def _page_size(field: GraphQLField, node: FieldNode, variables: Mapping[str, Any]) -> int | None:
    """The page size asked for, at most ``MAX_PAGE``: a larger page is the pagination rule's
    refusal (which names the argument), not a cost to refuse."""
    size = _asked(field, node, variables)
    return None if size is None else min(max(size, 0), MAX_PAGE)


def _asked(field: GraphQLField, node: FieldNode, variables: Mapping[str, Any]) -> int | None:
    given = {argument.name.value: argument.value for argument in node.arguments or ()}
    for name in PAGE_ARGUMENTS:
        if name not in field.args:
            continue
        value = given.get(name)
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode) and isinstance(variables.get(value.name.value), int):
            return int(variables[value.name.value])
        default = field.args[name].default_value
        if isinstance(default, int):
            return default
    return None


class _Coster:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection(
        self,
        parent: GraphQLNamedType,
        selection_set: SelectionSetNode | None,
        *,
        page: int | None = None,
        seen: frozenset[str] = frozenset(),
    ) -> int:
        """What ``selection_set`` costs on ``parent``; ``page``: the page size of the
        connection ``parent`` is, which its ``edges`` and ``nodes`` hold."""
        if selection_set is None:
            return 0
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field(parent, node, page=page, seen=seen)
            elif isinstance(node, InlineFragmentNode):
                kind = parent
                if node.type_condition is not None:
                    kind = self.schema.get_type(node.type_condition.name.value) or parent
                total += self.selection(kind, node.selection_set, page=page, seen=seen)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    kind = self.schema.get_type(fragment.type_condition.name.value) or parent
                    total += self.selection(
                        kind, fragment.selection_set, page=page, seen=seen | {name}
                    )
        return total

    def field(
        self, parent: GraphQLNamedType, node: FieldNode, *, page: int | None, seen: frozenset[str]
    ) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 1
        definition = parent.fields.get(name)
        if definition is None:
            return 1
        child = get_named_type(definition.type)
        asked = _page_size(definition, node, self.variables)
        if asked is not None and not _is_list(definition):
            return 1 + self.selection(child, node.selection_set, page=asked, seen=seen)
        inner = self.selection(child, node.selection_set, seen=seen)
        if asked is not None:
            return 1 + asked * inner
        if _is_list(definition):
            size = page if page is not None and name in PAGE_CONTENTS else ASSUMED_LIST_SIZE
            return 1 + size * inner
        return 1 + inner


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation ``operation_name`` selects in ``document``; 0 if none."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        op
        for op in operations
        if operation_name is None or (op.name and op.name.value == operation_name)
    ]
    if len(chosen) != 1 and operation_name is None:
        return 0
    if not chosen:
        return 0
    operation = chosen[0]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return _Coster(schema, fragments, variables or {}).selection(root, operation.selection_set)


class CostGuard:
    """Refuses an operation over the cost ceiling before it runs, and spends its cost.

    An operation without variables costs the same every time its text is sent: that cost is
    kept per text and operation name, bounded as parsed documents are (``schema.kept``).
    """

    costs: ClassVar[KeptByText[tuple[str, str | None], int]] = KeptByText()

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    @classmethod
    def cost_of(cls, execution: ExecutionContext, document: DocumentNode) -> int:
        key = (
            None
            if execution.variables or execution.query is None
            else (
                execution.query,
                execution.operation_name,
            )
        )
        known = cls.costs.get(key) if key is not None else None
        if known is not None:
            return known
        cost = operation_cost(
            execution.schema._schema, document, execution.operation_name, execution.variables
        )
        if key is not None:
            cls.costs.put(key, len(key[0]), cost)
        return cost

    async def refusal(self, context: Context, cost: int) -> ExecutionResult | None:
        if cost > self.max_cost:
            message = f"This operation costs {cost}, over the limit of {self.max_cost}"
            extensions = {"code": QUERY_TOO_COSTLY, "cost": cost, "maxCost": self.max_cost}
            return ExecutionResult(data=None, errors=[GraphQLError(message, extensions=extensions)])
        deps = context.deps
        limiter = deps.limiter
        if not limiter.enabled:
            return None  # what spend answers then (allowed, nothing counted or reported)
        scope = context.request.scope
        caller = known_caller(deps, scope) or await caller_of(deps, scope)
        verdict = await limiter.spend(Budget.GRAPHQL_COST, caller.key, cost=max(cost, 1))
        if verdict.allowed:
            return None
        extensions = {
            "code": RateLimited.graphql_code,
            "retryAfter": verdict.retry_after,
            "cost": cost,
        }
        error = GraphQLError("The GraphQL cost budget is spent", extensions=extensions)
        return ExecutionResult(data=None, errors=[error])


def rate_limit_report(cost: int | None) -> dict[str, Any]:
    """``extensions.rateLimit``: the tightest budget this request spent, and the cost."""
    verdicts = request_verdicts.get()
    if not verdicts:
        return {}
    verdict = tightest(verdicts)
    report: dict[str, Any] = {
        "limit": verdict.limit,
        "remaining": verdict.remaining,
        "reset": verdict.reset_at,
    }
    if cost is not None:
        report["cost"] = cost
    return {"rateLimit": report}
