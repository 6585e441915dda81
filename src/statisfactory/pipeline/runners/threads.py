"""Run crafts in a pool of threads: for crafts that wait on I/O or release the GIL."""

from __future__ import annotations

import contextvars
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from statisfactory.pipeline.job import CraftCall, Job
from statisfactory.pipeline.runners.base import Runner


class ThreadRunner(Runner, runner_name="threads"):
    """Each craft runs in a copy of the submitting context, so the active session follows it."""

    def default_workers(self) -> int:
        import os

        return min(32, (os.cpu_count() or 1) + 4)

    def _open(self, job: Job) -> ThreadPoolExecutor:
        workers = max(1, min(self.workers, len(job.plan.crafts)))
        return ThreadPoolExecutor(workers, thread_name_prefix="statisfactory-craft")

    def _submit(self, executor: ThreadPoolExecutor, call: CraftCall) -> Future[Any]:
        return executor.submit(contextvars.copy_context().run, call)
