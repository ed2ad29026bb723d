"""Schema extensions of our own: metrics per operation."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from identity.observability.metrics import INVALID_OUTCOME
from schema.context import Context


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
