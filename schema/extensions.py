"""Schema extensions of our own: document size and directive limits, metrics per operation."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DirectiveNode, GraphQLError, Node, Visitor, visit
from strawberry.extensions import SchemaExtension

from identity.observability.metrics import INVALID_OUTCOME
from schema.context import Context

DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES"
MAX_DIRECTIVES_PER_LOCATION = 3
MAX_DIRECTIVES = 50


class MaxDocumentSize(SchemaExtension):
    """Refuses a document longer than ``max_chars`` before it is parsed.

    The token limit does not bound size: one string literal is one token however long.
    """

    def __init__(self, *, max_chars: int) -> None:
        self.max_chars = max_chars

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        if query is not None and len(query) > self.max_chars:
            raise GraphQLError(
                f"Document longer than {self.max_chars} characters",
                extensions={"code": DOCUMENT_TOO_LARGE},
            )
        yield


class _DirectiveCounter(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0
        self.most_at_one_place = 0

    def enter(self, node: Node, *_args: object) -> None:
        directives = getattr(node, "directives", None)
        if directives and not isinstance(node, DirectiveNode):
            self.total += len(directives)
            self.most_at_one_place = max(self.most_at_one_place, len(directives))


class MaxDirectives(SchemaExtension):
    """Refuses, with one error and before validation, a document with more than
    ``MAX_DIRECTIVES_PER_LOCATION`` directives at one place or ``MAX_DIRECTIVES`` in all.

    Validation reports every unknown or repeated directive separately, so without it a
    document of ``@a@a@a…`` is answered with as many errors as the token limit lets in.
    """

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None:
            counter = _DirectiveCounter()
            visit(document, counter)
            if (
                counter.most_at_one_place > MAX_DIRECTIVES_PER_LOCATION
                or counter.total > MAX_DIRECTIVES
            ):
                raise GraphQLError(
                    f"At most {MAX_DIRECTIVES_PER_LOCATION} directives at one place and "
                    f"{MAX_DIRECTIVES} in a document",
                    extensions={"code": TOO_MANY_DIRECTIVES},
                )
        yield


class OperationMetrics(SchemaExtension):
    """Counts each operation by type, outcome (ok, error, invalid) and name; the metrics
    bound the names that become labels."""

    def on_operation(self) -> Iterator[None]:
        yield
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
