"""``ready``: what a type builds from a loaded value is built once per key and request."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Sequence
from typing import Any, cast

from identity.db import Database
from schema.dataloaders import RowLoader, ready


class Doubles(RowLoader[int, list[int]]):
    def __init__(self) -> None:
        super().__init__(cast(Database, None))
        self.batches: list[list[int]] = []

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[int]]:
        self.batches.append(list(keys))
        return [[key, key] for key in keys]


class Box:
    def __init__(self, value: int) -> None:
        self.value = value


def boxes(values: list[int], shared: dict[Hashable, Any]) -> list[Box]:
    return [shared.setdefault(value, Box(value)) for value in values]


async def test_one_batch_then_the_same_wrapped_value_at_once() -> None:
    loader = Doubles()

    pending = [ready(loader, key, boxes) for key in (1, 2, 1)]
    assert all(isinstance(one, asyncio.Future) for one in pending)
    first, second, again = await asyncio.gather(*cast(list[asyncio.Future[list[Box]]], pending))

    assert loader.batches == [[1, 2]]
    assert first is again
    assert [box.value for box in second] == [2, 2]
    assert ready(loader, 1, boxes) is first


async def test_objects_are_shared_across_keys() -> None:
    loader = Doubles()
    await loader.load_many([1, 2])

    one, two = ready(loader, 1, boxes), ready(loader, 1, boxes)

    assert isinstance(one, list)
    assert one[0] is one[1]
    assert one is two


async def test_clear_drops_what_was_built() -> None:
    loader = Doubles()
    await loader.load(1)
    before = ready(loader, 1, boxes)

    loader.clear(1).prime(1, [3])

    assert [box.value for box in cast(list[Box], ready(loader, 1, boxes))] == [3]
    assert before is not ready(loader, 1, boxes)
