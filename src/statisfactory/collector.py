"""Pause Python's cyclic garbage collector around work that allocates many acyclic objects."""

from __future__ import annotations

import contextlib
import gc
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
