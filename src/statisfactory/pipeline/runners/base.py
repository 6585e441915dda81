"""The runner interface: the base class owns the scheduling loop; a strategy says how to submit.

A strategy overrides two small hooks:

``_open(job)``             a context manager around the run yielding an executor (a pool, a
                           client…); it must wait for the submitted calls when it exits;
``_submit(executor, call)`` start ``call()`` (a picklable
                           :class:`~statisfactory.pipeline.job.CraftCall` returning the craft's
                           kept volatiles) and return a :class:`~statisfactory.protocols.Future`
                           (``add_done_callback(fn)`` and ``result()``).

The loop starts a craft as soon as the crafts it waits for are done and keeps at most
``workers`` crafts running: a craft back from a worker frees it for the crafts already ready
before its ``finish`` hooks run here. While it waits for running crafts it does the job's
deferred work (``job.idle()``: a sweep's shares). On the first failure it
stops starting crafts, lets the running ones finish and raises the failure, naming the craft (a
sweep's job keeps a failure to its member's crafts, and the others go on). A craft the job
skips is not submitted; a craft the job makes wait (for skipped crafts to run again and provide
its volatiles) starts once they are done.

Runners register by name with ``class MyRunner(Runner, runner_name="mine")``; a runner living in
a module that is costly to import is registered lazily with :func:`register_runner`.
"""

from __future__ import annotations

import contextlib
import importlib
import queue
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from statisfactory.errors import RunnerError, install_hint
from statisfactory.logger import get_logger
from statisfactory.pipeline.craft import Craft
from statisfactory.pipeline.job import CraftCall, Job, Skipped, Waiting
from statisfactory.protocols import Future

_logger = get_logger("pipeline.runner")

# name -> runner class, or "module:Class" imported on first use
_RUNNERS: dict[str, type[Runner] | str] = {
    "sequential": "statisfactory.pipeline.runners.sequential:SequentialRunner",
    "threads": "statisfactory.pipeline.runners.threads:ThreadRunner",
    "processes": "statisfactory.pipeline.runners.processes:ProcessRunner",
    "dask": "statisfactory.pipeline.runners.dask:DaskRunner",
}


class Runner:
    """Run a :class:`~statisfactory.pipeline.job.Job`; see the module docstring for strategies."""

    runner_name: ClassVar[str] = ""

    def __init_subclass__(cls, runner_name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if runner_name:
            cls.runner_name = runner_name
            register_runner(runner_name, cls)

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
            raise RunnerError(
                f"{type(self).__name__}: max_workers must be a positive integer, "
                f"got {max_workers!r}"
            )
        self.max_workers = max_workers

    @property
    def workers(self) -> int:
        """How many crafts may run at once."""
        return self.max_workers or self.default_workers()

    def default_workers(self) -> int:
        import os

        return os.cpu_count() or 1

    def start_early(self, crafts: Sequence[Craft], session: Any) -> None:
        """Start what a run of ``crafts`` will need and may start before its job is built
        (its checks, its hooks), so that it starts meanwhile (the processes runner's fork
        server); the default starts nothing."""

    # --- strategy hooks -----------------------------------------------------------------------
    def _open(self, job: Job) -> AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def _submit(self, executor: Any, call: CraftCall) -> Future:
        raise NotImplementedError(f"{type(self).__name__} must implement _submit(executor, call)")

    # --- the scheduling loop ------------------------------------------------------------------
    def run(self, job: Job) -> dict[str, Any]:
        """Run every craft of ``job`` once its inputs exist; return the job's volatiles."""
        if not job.plan.crafts:
            return job.state
        with self._open(job) as executor:
            return self._schedule(job, executor)

    def _schedule(self, job: Job, executor: Any) -> dict[str, Any]:
        """Submit each craft to ``executor`` once its inputs exist, until all are done."""
        waiting = list(job.plan.indegree)
        ready = deque(job.plan.roots)
        finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
        running: dict[Future, int] = {}
        failures: list[Exception] = []
        cap = self.workers
        done: tuple[int, Any] | None = None  # a craft back from a worker, not yet finished
        while ready or running or done:
            while ready and len(running) < cap and not failures:
                index = ready.popleft()
                try:
                    call = job.start(index)
                    if isinstance(call, Waiting):  # other crafts must run first
                        waiting[index] = call.count
                        ready.extendleft(reversed(call.start))
                        continue
                    if isinstance(call, Skipped):  # nothing to submit: finished here
                        _unblock(job.finish(index, {}), waiting, ready)
                        continue
                    future = self._submit(executor, call)
                except Exception as error:
                    if _failed(job, index, error, failures):
                        break
                    continue
                running[future] = index
                future.add_done_callback(finished.put)
            if done is None:
                if not running:
                    break
                while finished.empty() and job.idle():  # the job's deferred work meanwhile
                    pass
                future = finished.get()
                index = running.pop(future)
                try:
                    kept = future.result()
                except Exception as error:
                    _failed(job, index, error, failures)
                    continue
                if not isinstance(future, Completed):
                    # Its worker is free: give it the crafts already ready (above) before the
                    # finish's hooks (the run history) run here.
                    done = index, kept
                    continue
            else:
                (index, kept), done = done, None
            try:
                _unblock(job.finish(index, kept), waiting, ready)
            except Exception as error:
                _failed(job, index, error, failures)
        if failures:
            for other in failures[1:]:
                _logger.error("%s: also failed: %s", job.name, other)
            raise failures[0]
        return job.state

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_workers={self.max_workers})"


def _unblock(finished: Iterable[int], waiting: list[int], ready: deque[int]) -> None:
    """A craft finished: its dependents left waiting for nothing else are ready."""
    for dependent in finished:
        waiting[dependent] -= 1
        if not waiting[dependent]:
            ready.append(dependent)


def _failed(job: Any, index: int, error: Exception, failures: list[Exception]) -> bool:
    """Tell the job a craft failed; True when the run stops starting crafts (a sweep's job
    keeps the failure to its member, returning None, and its other members go on)."""
    failure = job.fail(index, error)
    if failure is None:
        return False
    failures.append(failure)
    return True


def register_runner(name: str, runner: type[Runner] | str) -> None:
    """Make ``runner`` (a class, or ``"module:Class"`` imported on first use) known as ``name``."""
    _RUNNERS[name] = runner


def known_runners() -> list[str]:
    """The registered runner names, and those installed packages give."""
    from statisfactory.plugins import entry_points

    return sorted(set(_RUNNERS) | set(entry_points.names("runners")))


def get_runner(runner: str | Runner | None, max_workers: int | None = None) -> Runner:
    """The runner for ``runner``: an instance as is, a registered name, or sequential for None."""
    if isinstance(runner, Runner):
        if max_workers is not None:
            raise RunnerError(
                f"max_workers={max_workers} was given with the runner instance {runner!r}: "
                "pass it to the runner's constructor instead"
            )
        return runner
    return runner_class(runner or "sequential")(max_workers=max_workers)


def runner_class(name: str) -> type[Runner]:
    """The class registered as ``name``, importing its module on first use."""
    entry = _RUNNERS.get(name) if isinstance(name, str) else None
    if entry is None and isinstance(name, str):
        entry = _installed_runner(name)
    if entry is None:
        raise RunnerError(f"Unknown runner {name!r}: use one of {', '.join(known_runners())}")
    if isinstance(entry, str):
        module_name, _, class_name = entry.partition(":")
        try:
            entry = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as error:
            raise RunnerError(
                f"Runner '{name}' is provided by {module_name}.{class_name}, which cannot be "
                f"imported ({error}); install the matching extra "
                f"(e.g. {install_hint('dask')})"
            ) from error
        register_runner(name, entry)
    return entry


def _installed_runner(name: str) -> type[Runner] | None:
    """The runner an installed package gives as ``name`` (entry point group
    ``statisfactory.runners``), registered under it."""
    from statisfactory.plugins import entry_points

    loaded = entry_points.load("runners", name)
    if loaded is None:
        return None
    if not (isinstance(loaded, type) and issubclass(loaded, Runner)):
        raise RunnerError(
            f"Runner '{name}' of an installed package is {loaded!r}, not a subclass of "
            "statisfactory.pipeline.runners.Runner: fix or uninstall that package"
        )
    register_runner(name, loaded)
    return loaded


class Completed:
    """An already-finished future, for strategies that run a call where it is submitted."""

    __slots__ = ("_error", "_value")

    def __init__(self, call: Callable[[], Any]) -> None:
        self._value = self._error = None
        try:
            self._value = call()
        except Exception as error:
            self._error = error

    def add_done_callback(self, callback: Callable[[Completed], object]) -> None:
        callback(self)

    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value
