"""Work on large arrays two items at a time, on the machine's cores.

pyarrow's compute kernels and numpy's operations on large arrays release the GIL,
so two threads really do run at once: two date columns scanned together, the next
piece of JSON text made while this one is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def two_at_a_time(function: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    """``function`` of each item, in order, two being made at once: at most two
    results are held besides the one the caller is using."""
    if len(items) < 2:
        yield from map(function, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="etown") as pool:
        ahead = [pool.submit(function, item) for item in items[:2]]
        for following in items[2:]:
            yield ahead.pop(0).result()
            ahead.append(pool.submit(function, following))
        for pending in ahead:
            yield pending.result()
