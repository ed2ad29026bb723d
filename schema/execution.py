"""Which executor a schema runs on: the short path (``schema.short_path``) or graphql-core's.

The short path relies on private parts of graphql-core and Strawberry (its module docstring
lists them, as an upgrade checklist), so it is fenced: ``IDENTITY_GRAPHQL_SHORT_PATH=false``
switches it off, and when the installed libraries lack what it uses, the schema runs on
Strawberry's stock execution context, graphql-core's executor, and one warning says why.
Answers are the same either way; only the cost of a large page differs.

This module imports nothing private, so the types may mark their resolvers ``@replayable``
whichever executor runs.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from graphql.execution import Executor

from identity.config import Settings

REPLAYABLE = "_identity_replayable"
CONTEXT_ONLY = "_identity_context_only"
SHORT_PATH_MODULE = "schema.short_path"

F = TypeVar("F", bound=Callable[..., Any])

logger = logging.getLogger(__name__)


def replayable(resolver: F) -> F:
    """Mark a synchronous resolver without arguments that may be called more than once for
    one value (it reads loaders or memory), so the short path may call it directly."""
    setattr(resolver, REPLAYABLE, True)
    return resolver


def context_only(resolver: F) -> F:
    """``replayable``, and its ``info`` is used for ``info.context`` alone (never the path
    or the field), so the short path may give the items of one list the same Info."""
    setattr(resolver, CONTEXT_ONLY, True)
    return replayable(resolver)


def execution_context_class(settings: Settings) -> type[Executor[Any]] | None:
    """The short path's execution context, or None (Strawberry's stock one) when the setting
    is off or the short path cannot run on the installed graphql-core and Strawberry."""
    if not settings.graphql_short_path:
        return None
    try:
        short_path = importlib.import_module(SHORT_PATH_MODULE)
        short_path.check_compatible()
    except (ImportError, AttributeError) as exc:
        logger.warning(
            "GraphQL short path off, graphql-core's executor answers alone (slower on large "
            "pages): %s: %s",
            type(exc).__name__,
            exc,
        )
        return None
    found: type[Executor[Any]] = short_path.ExecutionContext
    return found
