"""How a run treats Python's cyclic garbage collector.

A pipeline of many small crafts makes many short-lived objects, and every so often the
collector's full pass scans the whole heap: the project's modules, the crafts, the plan. Its
cost per craft would then grow with the size of the pipeline and of everything loaded before.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_frozen_runs = 0  # runs going on in this process (nested, or in several threads)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the collector for work that makes many objects and no cycles (solving a plan):
    its objects would otherwise be promoted and trigger full passes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def heap_frozen() -> Iterator[None]:
    """Leave the objects alive when a run starts out of the collector's passes until it ends
    (``gc.freeze``): the collector still runs, on what the run makes. Cycles that were already
    garbage are collected after the run. Nested and concurrent runs share one freeze, undone
    when the last of them ends."""
    global _frozen_runs
    with _lock:
        if _frozen_runs == 0:
            gc.freeze()
        _frozen_runs += 1
    try:
        yield
    finally:
        with _lock:
            _frozen_runs -= 1
            if _frozen_runs == 0:
                gc.unfreeze()
