"""The running app's runtime, for tests that reach past HTTP (clock, database, deps)."""

from __future__ import annotations

from typing import cast

from fastapi import FastAPI

from identity.runtime import Runtime


def runtime(app: FastAPI) -> Runtime:
    return cast(Runtime, app.state.runtime)
