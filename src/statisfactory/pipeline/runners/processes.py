"""Run crafts in a pool of processes: for CPU-bound Python crafts.

Each worker process rebuilds the session once, from the project's root (a session pickles as its
root), in the pool's initializer; the crafts it runs then see it as the active session. Crafts
travel by reference (module and name), their inputs and outputs by pickle.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from statisfactory.pipeline.job import CraftCall, Job
from statisfactory.pipeline.runners import worker
from statisfactory.pipeline.runners.base import Runner


class ProcessRunner(Runner, runner_name="processes"):
    """``start_method`` is a :mod:`multiprocessing` start method; None keeps the platform's."""

    def __init__(self, max_workers: int | None = None, *, start_method: str | None = None) -> None:
        super().__init__(max_workers)
        self.start_method = start_method

    def _open(self, job: Job) -> ProcessPoolExecutor:
        import multiprocessing

        for craft in job.plan.crafts:  # before anything runs
            worker.check_importable(craft)
        return ProcessPoolExecutor(
            max_workers=max(1, min(self.workers, len(job.plan.crafts))),
            mp_context=multiprocessing.get_context(self.start_method),
            initializer=worker.initialize,
            initargs=(worker.pickled_session(job.session),),
        )

    def _submit(self, executor: ProcessPoolExecutor, call: CraftCall) -> _Unpickled:
        craft, payload = worker.pack(call)
        future = executor.submit(worker.execute, craft, payload)
        return _Unpickled(future)


class _Unpickled:
    """The pool's future, whose result (the worker's pickled volatiles) is unpickled on read."""

    __slots__ = ("_future",)

    def __init__(self, future: Future[bytes]) -> None:
        self._future = future

    def add_done_callback(self, callback: Callable[[_Unpickled], object]) -> None:
        self._future.add_done_callback(lambda _: callback(self))

    def result(self) -> Any:
        import pickle

        return pickle.loads(self._future.result())
