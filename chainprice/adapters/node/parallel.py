"""Run one request per item on a few threads (HTTP waits release the GIL)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

A = TypeVar("A")
B = TypeVar("B")


def map_parallel(fn: Callable[[A], B], items: Sequence[A], workers: int) -> list[B]:
    """``[fn(x) for x in items]`` on up to ``workers`` threads; the first error is raised.

    After an error, calls not yet started are cancelled instead of each failing
    on its own (a refused credential would otherwise be tried once per item).
    """
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    pool = ThreadPoolExecutor(max_workers=min(workers, len(items)))
    try:
        return list(pool.map(fn, items))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
