"""How the package treats Python's cyclic garbage collector.

Building many objects that form no cycles (a parsed YAML file, a solved plan) makes the collector
run full collections of the whole heap again and again; so does a pipeline of many small crafts,
whose collector passes would otherwise scan the project's modules, the crafts and the plan, at a
cost per craft growing with the size of everything loaded before.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, then restore it as it was.

    Building many objects that form no cycles (a parsed YAML file, a solved plan) makes the
    collector run full collections of the whole heap again and again: more than half of the
    time of a large file's parse. Reference counting still frees everything; a cycle made in the
    block is collected after it. Nested blocks leave the collector off until the outermost ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_lock = threading.Lock()
_frozen_runs = 0  # runs going on in this process (nested, or in several threads)


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


def frozen_until_exit(generation: int = 2) -> None:
    """For a process that ends with what it does next (a command's run): collect the garbage
    made so far, then keep every object still alive out of the collector's passes until the
    process ends. What a large project loaded (its modules, crafts, catalog) is then walked by
    this one collection rather than by the collector's later full passes and the last one at
    exit (:func:`frozen_for_exit`, which still collects everything made after). Runs started
    later nest in this freeze: they no longer give the heap back when they end. Called again
    (after the run), it collects and freezes what was made since.

    ``generation`` 1 collects the young generations only: enough after loading done with the
    collector paused (:func:`collector_paused`), since everything loading made is young, and
    about half the time of a full pass over a large project's heap. A command checks that the
    old generation then holds no garbage (``tests/test_collector.py``)."""
    global _frozen_runs
    gc.collect(generation)
    with _lock:
        gc.freeze()  # adds to what is frozen already (by a run going on, or an earlier call)
        _frozen_runs += 1


def frozen_for_exit() -> None:
    """At the end of a process: collect the garbage made so far (its finalizers run, files it
    holds are flushed), then keep every object still alive out of the collector's passes.
    The interpreter's last collections at shutdown would otherwise walk the whole heap (the
    crafts, the plan and the history of a large pipeline) only to free what the process's end
    frees anyway; module contents are still released one by one, as always."""
    gc.collect()
    gc.freeze()
