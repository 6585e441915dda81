"""Run crafts one after the other, in the calling thread (the default runner)."""

from __future__ import annotations

from typing import Any

from statisfactory.pipeline.job import CraftCall
from statisfactory.pipeline.runners.base import Completed, Runner


class SequentialRunner(Runner, runner_name="sequential"):
    """One craft at a time, in topological order; ``max_workers`` is ignored."""

    @property
    def workers(self) -> int:
        return 1

    def _submit(self, executor: Any, call: CraftCall) -> Completed:
        return Completed(call)
