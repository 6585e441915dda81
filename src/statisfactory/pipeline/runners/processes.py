"""Run crafts in a pool of processes: for CPU-bound Python crafts.

Each worker process rebuilds the session once, from the project's root (a session pickles as its
root), in the pool's initializer; the crafts it runs then see it as the active session. Crafts
travel by reference (module and name), their inputs and outputs by pickle.

Workers start from a fresh process (forkserver where the platform has it, else spawn), never
by forking the caller: a fork copies a multi-threaded process (the run history's writer, a
client's threads) in whatever state its locks are. The fork server (one per process, kept for
the next runs) starts as a run begins, booting while the run's job is built, and imports once
what every worker's session needs (the framework, the settings library); the project's modules
are imported by each worker, afresh. A fresh worker imports the crafts again, so
a craft must come from an importable module, or from a script guarded by
``if __name__ == "__main__":``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from statisfactory.errors import CraftUsageError, RunnerError
from statisfactory.pipeline.craft import Craft
from statisfactory.pipeline.job import CraftCall, Job
from statisfactory.pipeline.runners import worker
from statisfactory.pipeline.runners.base import Runner


class ProcessRunner(Runner, runner_name="processes"):
    """``start_method`` is a :mod:`multiprocessing` start method; None takes forkserver where
    the platform has it, else spawn."""

    def __init__(self, max_workers: int | None = None, *, start_method: str | None = None) -> None:
        super().__init__(max_workers)
        self.start_method = start_method

    @contextlib.contextmanager
    def _open(self, job: Job) -> Iterator[ProcessPoolExecutor]:
        import multiprocessing

        _refuse_worker_import(job)
        for craft in job.plan.crafts:  # before anything runs
            worker.check_importable(craft)
            _check_fresh_import(craft)
        method = self.start_method or _fresh_start_method()
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            _serve(job.session)
        workers = max(1, min(self.workers, len(job.plan.crafts)))
        executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=worker.initialize,
            initargs=(worker.pickled_session(job.session), worker.parent_logging()),
        )
        try:
            _start_workers(executor, workers, job.plan.crafts)
            yield executor
        except KeyboardInterrupt:
            # Interrupted (a SIGINT sent to this process alone, not to its workers): stop the
            # running crafts now rather than wait for them, as a Ctrl-C at a terminal does.
            _stop_workers(executor)
            raise
        finally:
            executor.shutdown(wait=True, cancel_futures=True)

    def start_early(self, crafts: Sequence[Craft], session: Any) -> None:
        """Start the fork server, so that it boots while the run's job is built."""
        method = self.start_method or _fresh_start_method()
        if crafts and method == "forkserver" and not _in_worker():
            _serve(session)

    def _submit(self, executor: ProcessPoolExecutor, call: CraftCall) -> _Unpickled:
        craft, payload = worker.pack(call)
        try:
            future = executor.submit(worker.execute, craft, payload)
        except BrokenProcessPool as error:
            raise _broken(error) from error
        return _Unpickled(future)


def _serve(session: Any) -> None:
    """Start this process's fork server (once), importing what every worker needs: the
    framework's worker side, and the framework's session class and the settings class its
    session is built with; each worker then forks with them imported, not importing its own."""
    from multiprocessing import forkserver

    forkserver.set_forkserver_preload(_preloaded(session))
    forkserver.ensure_running()  # returns at once: the server boots on its own


def _preloaded(session: Any) -> list[str]:
    """The modules the fork server imports: the framework's, and those of the installed
    packages its session's settings come from (never the project's: a worker imports those
    afresh, as they may have changed since the server started)."""
    modules = ["statisfactory.pipeline.runners.worker"]
    if session is None:
        return modules
    framework = next(
        (k for k in type(session).__mro__ if k.__module__.startswith("statisfactory.")), None
    )
    if framework is not None:
        modules.append(framework.__module__)
    settings = type(getattr(session, "settings", None)).__module__
    if settings.partition(".")[0] not in ("builtins", "__main__"):
        modules.append(settings)
    return modules


def _start_workers(executor: ProcessPoolExecutor, workers: int, crafts: Sequence[Craft]) -> None:
    """Start every worker now, each importing the crafts' modules: the pool would start one
    only when a craft is submitted with all busy, so a worker would spend its start-up (a
    fresh interpreter, the session) after the first crafts rather than while they run."""
    modules = tuple(dict.fromkeys(craft.function.__module__ for craft in crafts))
    for _ in range(workers):  # each submit with no idle worker starts one
        executor.submit(worker.warm_up, modules)


def _stop_workers(executor: ProcessPoolExecutor) -> None:
    """Terminate the pool's worker processes (an interrupted save leaves its target whole)."""
    # The pool has no public way to stop its workers before Python 3.14's terminate_workers().
    terminate = getattr(executor, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):  # already gone
            process.terminate()


def _fresh_start_method() -> str:
    import multiprocessing

    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _main_script() -> str | None:
    """The file of the script being run; None for ``python -c``, stdin, a notebook."""
    script = getattr(sys.modules.get("__main__"), "__file__", None)
    return None if not script or script.startswith("<") else script  # stdin: "<stdin>"


def _guard_hint() -> str:
    script = _main_script()
    if not script:
        return ""
    return (
        f"; if {script} runs the pipeline at its top level, put that under "
        "`if __name__ == '__main__':`, as the worker processes import it again"
    )


def _check_fresh_import(craft: Craft) -> None:
    """A craft of the main module reaches a fresh worker only through the script's file."""
    if craft.function.__module__ == "__main__" and not _main_script():
        raise CraftUsageError(
            f"Craft '{craft.fqname}' is defined in code given through `python -c`, stdin or a "
            "notebook, which the worker processes cannot import: move it to a module (or a "
            "script file), or use runner='threads'"
        )


def _in_worker() -> bool:
    """True in a worker process that imported the main script again."""
    return getattr(sys.modules.get("__main__"), "__name__", None) == "__mp_main__"


def _refuse_worker_import(job: Job) -> None:
    """A worker importing the main script again reached a top-level run: say so, not hang."""
    if _in_worker():
        raise RunnerError(
            f"{job.name}: a processes-runner worker, importing {_main_script() or 'the script'} "
            "again, reached its run of the pipeline: put that run under "
            "`if __name__ == '__main__':`"
        )


def _broken(error: BaseException) -> RunnerError:
    return RunnerError(
        f"A worker process of the processes runner stopped abruptly ({error}){_guard_hint()}; "
        "else see the messages above for what ended it"
    )


class _Unpickled:
    """The pool's future, whose result (the worker's pickled volatiles) is unpickled on read."""

    __slots__ = ("_future",)

    def __init__(self, future: Future[bytes]) -> None:
        self._future = future

    def add_done_callback(self, callback: Callable[[_Unpickled], object]) -> None:
        self._future.add_done_callback(lambda _: callback(self))

    def result(self) -> Any:
        import pickle

        try:
            sent = self._future.result()
        except BrokenProcessPool as error:
            raise _broken(error) from error
        return pickle.loads(sent)
