"""Runners: how a pipeline's crafts are executed (sequential, threads, processes, …).

Built-in runners are imported on first use; ``get_runner("dask")`` imports
``statisfactory.pipeline.runners.dask`` the same way.
"""

from statisfactory.pipeline.runners.base import (
    Completed,
    Runner,
    get_runner,
    known_runners,
    register_runner,
    runner_class,
)

__all__ = ["Completed", "Runner", "get_runner", "known_runners", "register_runner", "runner_class"]

_BUILT_IN = {
    "SequentialRunner": "sequential",
    "ThreadRunner": "threads",
    "ProcessRunner": "processes",
    "DaskRunner": "dask",
}


def __getattr__(name: str):  # the built-in runner classes, without importing their modules early
    if name in _BUILT_IN:
        return runner_class(_BUILT_IN[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
