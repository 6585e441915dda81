"""Crafts, pipelines and the runners that execute them."""

from statisfactory.pipeline.craft import Craft
from statisfactory.pipeline.markers import Artifact, Metrics, Volatile
from statisfactory.pipeline.pipeline import Pipeline
from statisfactory.pipeline.run import CraftStatus, Run, RunResult, RunStatus
from statisfactory.pipeline.runners import (
    Runner,
    get_runner,
    known_runners,
    register_runner,
    runner_class,
)

__all__ = [
    "Artifact",
    "Craft",
    "CraftStatus",
    "Metrics",
    "Pipeline",
    "ProcessRunner",
    "Run",
    "RunResult",
    "RunStatus",
    "Runner",
    "SequentialRunner",
    "ThreadRunner",
    "Volatile",
    "get_runner",
    "known_runners",
    "register_runner",
    "runner_class",
]


def __getattr__(name: str):  # runner classes are imported when first asked for
    if name in ("SequentialRunner", "ThreadRunner", "ProcessRunner"):
        from statisfactory.pipeline import runners

        return getattr(runners, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
