"""The one schema extension: every check and record made around a GraphQL operation.

Strawberry walks its whole extension list at each of an operation's four steps (operation,
parse, validate, execute) and again for results: with nine extensions that walk cost about
a third of GraphQL ``me``. So the document limits, the parse and validation caches, the
cost ceiling and budget, the masking of crashes and the metrics are one extension, ``Gate``,
in this order:

- operation: the token limit and our validation rules join the operation's options; when
  it ends, unexpected errors are masked, then the operation is counted;
- parse: a document longer than ``max_chars`` is refused unparsed (the token limit does not
  bound size: one string literal is one token however long), else parsed once per text;
- validate: too many directives or fields are refused with one error, else validated once per
  document and rule set (what is kept per text is bounded in characters: ``schema.kept``);
- execute: the operation's cost is refused over the ceiling or spent from the budget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from graphql import (
    ASTValidationRule,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    parse,
    visit,
)
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext
from strawberry.types.execution import ParseOptions

from identity.observability.metrics import INVALID_OUTCOME
from schema.context import Context
from schema.cost import CostGuard, rate_limit_report
from schema.kept import KeptByText

DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES"
TOO_MANY_FIELDS = "TOO_MANY_FIELDS"
MAX_DIRECTIVES_PER_LOCATION = 3
MAX_DIRECTIVES = 50
MAX_REPEATS_AT_ONE_PLACE = 10
MASKED_MESSAGE = "Unexpected error."

_PARSED: KeptByText[tuple[str, tuple[tuple[str, Any], ...]], DocumentNode] = KeptByText()


def _parse(query: str, options: ParseOptions) -> DocumentNode:
    """``parse``, kept per text and options (``schema.kept`` bounds what is kept)."""
    key = (query, tuple(options.items()))
    document = _PARSED.get(key)
    if document is None:
        document = parse(query, **options)
        _PARSED.put(key, len(query), document)
    return document


@dataclass(frozen=True, slots=True)
class Rules:
    """What ``Gate`` enforces, from the settings; one per schema."""

    max_chars: int
    max_tokens: int
    max_fields: int
    max_cost: int
    validation_rules: tuple[type[ASTValidationRule], ...]
    should_mask: Callable[[GraphQLError], bool]


class _ShapeCounter(Visitor):
    """Directives, fields, and the most selections of one response key in one place.

    Operations and fragments are walked by hand (a tenth of what graphql-core's generic
    ``visit`` costs per node); anything else a document holds is visited."""

    def __init__(self) -> None:
        super().__init__()
        self.directives = 0
        self.most_directives_at_one_place = 0
        self.fields = 0
        self.most_repeats = 0

    def count(self, document: DocumentNode) -> None:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
                self._count_directives(definition.directives)
                for variable in definition.variable_definitions or ():
                    self._count_directives(variable.directives)
                self._count_selections(definition.selection_set)
            else:
                visit(definition, self)

    def enter(self, node: Node, *_args: object) -> None:
        directives = getattr(node, "directives", None)
        if directives and not isinstance(node, DirectiveNode):
            self._count_directives(directives)

    def _count_directives(self, directives: Sequence[DirectiveNode] | None) -> None:
        if directives:
            self.directives += len(directives)
            self.most_directives_at_one_place = max(
                self.most_directives_at_one_place, len(directives)
            )

    def _count_selections(self, root: SelectionSetNode) -> None:
        pending = [root]
        while pending:
            keys: Counter[str] = Counter()
            for selection in pending.pop().selections:
                self._count_directives(selection.directives)
                if isinstance(selection, FieldNode):
                    self.fields += 1
                    keys[(selection.alias or selection.name).value] += 1
                inner = getattr(selection, "selection_set", None)
                if inner is not None:
                    pending.append(inner)
            if keys:
                self.most_repeats = max(self.most_repeats, max(keys.values()))

    def refusal(self, max_fields: int) -> tuple[str, str] | None:
        """The refusal's message and code, or None."""
        if (
            self.most_directives_at_one_place > MAX_DIRECTIVES_PER_LOCATION
            or self.directives > MAX_DIRECTIVES
        ):
            return (
                f"At most {MAX_DIRECTIVES_PER_LOCATION} directives at one place and "
                f"{MAX_DIRECTIVES} in a document",
                TOO_MANY_DIRECTIVES,
            )
        if self.fields > max_fields or self.most_repeats > MAX_REPEATS_AT_ONE_PLACE:
            return (
                f"At most {max_fields} fields in a document and "
                f"{MAX_REPEATS_AT_ONE_PLACE} selections of one field at one place",
                TOO_MANY_FIELDS,
            )
        return None


class Gate(SchemaExtension):
    """See the module: one extension, built afresh per operation by Strawberry."""

    shapes: ClassVar[KeptByText[str, tuple[tuple[str, str] | None]]] = KeptByText()
    """The shape check's answer per document text: a document seen before is not walked
    again."""
    validations: ClassVar[KeptByText[tuple[object, ...], list[GraphQLError]]] = KeptByText()

    def __init__(self, *, rules: Rules) -> None:
        self.rules = rules
        self.costs = CostGuard(max_cost=rules.max_cost)
        self.cost: int | None = None

    def on_operation(self) -> Iterator[None]:
        self.begin_operation()
        yield
        self.end_operation()

    def on_parse(self) -> Iterator[None]:
        self.parse()
        yield

    def on_validate(self) -> Iterator[None]:
        self.validate()
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        await self.execute()
        yield

    def begin_operation(self) -> None:
        execution = self.execution_context
        execution.parse_options["max_tokens"] = self.rules.max_tokens
        execution.validation_rules = execution.validation_rules + self.rules.validation_rules

    def end_operation(self) -> None:
        self._mask_unexpected()
        self._count()

    def parse(self) -> None:
        execution = self.execution_context
        query = execution.query
        if query is not None and len(query) > self.rules.max_chars:
            raise GraphQLError(
                f"Document longer than {self.rules.max_chars} characters",
                extensions={"code": DOCUMENT_TOO_LARGE},
            )
        if query is None:  # Strawberry refuses a missing query before this step
            raise MissingQueryError
        execution.graphql_document = _parse(query, execution.parse_options)

    def validate(self) -> None:
        execution = self.execution_context
        document = execution.graphql_document
        if document is not None:
            refusal = self._shape_refusal(execution.query, document)
            if refusal is not None:
                raise refusal
            execution.pre_execution_errors = self._validated(
                execution.schema._schema, execution.query, document, execution.validation_rules
            )

    async def execute(self) -> None:
        execution = self.execution_context
        document = execution.graphql_document
        if document is not None:
            self.cost = self.costs.cost_of(execution, document)
            execution.result = await self.costs.refusal(execution.context, self.cost)

    def get_results(self) -> dict[str, Any]:
        return rate_limit_report(self.cost)

    def _mask_unexpected(self) -> None:
        """A crash's text (a database error quotes its SQL) is not the client's business;
        the server has logged it in full (``Schema.process_errors``)."""
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [  # type: ignore[union-attr]
                _masked(error) if self.rules.should_mask(error) else error for error in errors
            ]

    def _count(self) -> None:
        """Each operation by type, outcome (ok, error, invalid) and name; the metrics bound
        the names that become labels."""
        execution = self.execution_context
        context = execution.context
        if not isinstance(context, Context):
            return
        result = execution.result
        if result is None or execution.pre_execution_errors:
            outcome = INVALID_OUTCOME
        elif result.errors:
            outcome = "error"
        else:
            outcome = "ok"
        try:
            kind = execution.operation_type.value
        except RuntimeError:
            kind = "unknown"
        context.runtime.metrics.observe_graphql(
            operation=execution.operation_name or None, kind=kind, outcome=outcome
        )

    @classmethod
    def _validated(
        cls,
        schema: GraphQLSchema,
        query: str | None,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        """Validation errors, kept per document text (hashing the text is cheaper than
        hashing the parsed document, which graphql-core does node by node)."""
        if query is None:
            return validate_document(schema, document, rules)
        key = (schema, query, rules)
        errors = cls.validations.get(key)
        if errors is None:
            errors = validate_document(schema, document, rules)
            cls.validations.put(key, len(query), errors)
        return errors

    def _shape_refusal(self, query: str | None, document: DocumentNode) -> GraphQLError | None:
        """Refused before validation, with one error: many directives (validation reports
        each unknown or repeated one, so ``@a@a@a…`` got as many errors as tokens), many
        fields, or one field selected many times at one place (validation's cost grows with
        the fields, and with the square of one field's repeats: a document of 1,900 fields
        cost ~200-350 ms of CPU to validate, for a caller not signed in)."""
        known = self.shapes.get(query) if query is not None else None
        if known is None:
            counter = _ShapeCounter()
            counter.count(document)
            known = (counter.refusal(self.rules.max_fields),)
            if query is not None:
                self.shapes.put(query, len(query), known)
        refusal = known[0]
        if refusal is None:
            return None
        message, code = refusal
        return GraphQLError(message, extensions={"code": code})


def _masked(error: GraphQLError) -> GraphQLError:
    return GraphQLError(
        message=MASKED_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
    )


class _Step:
    """One of an operation's steps around ``Gate``: ``enter`` before it, ``leave`` after it
    when it ends without an exception (as a generator hook's code after its ``yield``)."""

    __slots__ = ("enter", "leave", "name")

    def __init__(
        self,
        name: str,
        enter: Callable[[], object],
        leave: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.enter = enter
        self.leave = leave

    async def __aenter__(self) -> None:
        entered = self.enter()
        if entered is not None:
            await entered  # type: ignore[misc]

    async def __aexit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        if exc_type is None and self.leave is not None:
            self.leave()

    def __enter__(self) -> None:
        if self.name == "on_execute":
            raise RuntimeError(
                f"SchemaExtension hook Gate.{self.name} failed to complete synchronously."
            )
        self.enter()

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        if exc_type is None and self.leave is not None:
            self.leave()


class GateRunner(SchemaExtensionsRunner):
    """Strawberry's runner for the one extension, ``Gate``, without its per-step plumbing.

    Strawberry's runner wraps each hook of each extension afresh at every step of every
    operation (a signature check, a context manager, an exit stack): for GraphQL ``me``
    that was about a tenth of its CPU. This one calls ``Gate``'s steps directly, with the
    same order and the same effect of an exception (what follows a step's ``yield`` is
    skipped); the schema uses it only when ``Gate`` is its only extension.
    """

    def __init__(self, execution_context: ExecutionContext, gate: Gate) -> None:
        super().__init__(execution_context, [gate])
        self.gate = gate

    def operation(self) -> Any:
        return _Step("on_operation", self.gate.begin_operation, self.gate.end_operation)

    def parsing(self) -> Any:
        return _Step("on_parse", self.gate.parse)

    def validation(self) -> Any:
        return _Step("on_validate", self.gate.validate)

    def executing(self) -> Any:
        return _Step("on_execute", self.gate.execute)

    def get_extensions_results_sync(self) -> dict[str, Any]:
        return {**self.gate.get_results()}

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        data = self.gate.get_results()
        data.update(ctx.extensions_results)
        return data
