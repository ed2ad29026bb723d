"""Schema extensions of our own: a document size limit, metrics per operation."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from identity.observability.metrics import INVALID_OUTCOME
from schema.context import Context

DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"


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
