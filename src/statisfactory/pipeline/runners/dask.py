"""Run crafts on a Dask cluster: one started for the run, or a running scheduler's address.

``p.run(params, runner="dask")``, ``statisfactory run P C --runner dask [--address ADDR]``, or
the settings ``runner: dask`` and ``dask_scheduler_address``. Without an address a
``distributed.LocalCluster`` sized to the machine (or ``max_workers`` single-threaded worker
processes) starts with the run and stops after it; the dashboard link is logged at INFO.

How a run goes: every worker rebuilds the session once from the project root (a worker
plugin; a worker keeps it for the same client session's next runs), so artifacts are loaded and saved on the workers and storage must be reachable from
all of them. The base loop submits each craft once its inputs exist, so the run hooks (and the
CLI's progress) stay on the client; a craft's upstream volatiles are passed as the Dask futures
of the crafts producing them, so they move from worker to worker, and the client gathers only
the volatiles the run returns, at the end.

Settings (each also a constructor argument, which wins): ``dask_scheduler_address``;
``dask_retries`` (default 2): how many more times a craft runs after the worker running it
died; ``dask_connect_timeout`` (seconds, default 10).
"""

from __future__ import annotations

import contextlib
import pickle
import sys
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from statisfactory.errors import CraftUsageError, RunnerError, WorkerLostError
from statisfactory.logger import get_logger
from statisfactory.pipeline.craft import Craft
from statisfactory.pipeline.job import CraftCall, Job
from statisfactory.pipeline.markers import Metrics
from statisfactory.pipeline.runners import worker as process_worker
from statisfactory.pipeline.runners.base import Runner

if TYPE_CHECKING:
    from distributed import Client, LocalCluster
    from distributed import Future as DaskFuture

_logger = get_logger("pipeline.runner.dask")

DEFAULT_RETRIES = 2
DEFAULT_CONNECT_TIMEOUT = 10.0
_UNCAPPED = 1 << 30  # without max_workers, Dask's scheduler alone decides what runs when


class DaskRunner(Runner, runner_name="dask"):
    """Submit crafts to Dask; see the module docstring.

    ``address``: a scheduler (``tcp://host:8786``) to connect to instead of starting a
    LocalCluster; ``retries``: how many more times a craft runs after its worker died (on a
    scheduler you connect to, that scheduler's ``distributed.scheduler.allowed-failures``
    applies instead); ``connect_timeout``: seconds to reach the scheduler;
    ``cluster_options``: keyword arguments for the LocalCluster (``resources``,
    ``memory_limit``, ``dashboard_address``…). ``max_workers`` caps the crafts running at once
    and sizes the LocalCluster.
    """

    def __init__(
        self,
        max_workers: int | None = None,
        *,
        address: str | None = None,
        retries: int | None = None,
        connect_timeout: float | None = None,
        cluster_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(max_workers)
        if retries is not None and (not isinstance(retries, int) or retries < 0):
            raise RunnerError(f"DaskRunner: retries must be an integer ≥ 0, got {retries!r}")
        self.address = address
        self.retries = retries
        self.connect_timeout = connect_timeout
        self.cluster_options = dict(cluster_options or {})

    def default_workers(self) -> int:
        return _UNCAPPED

    # --- one run ------------------------------------------------------------------------------
    def run(self, job: Job) -> dict[str, Any]:
        """Connect (or start a cluster), let the base loop submit the crafts, gather volatiles."""
        for craft in job.plan.crafts:  # before connecting
            _check_importable_by_workers(craft)
        if not job.plan.crafts:
            return job.state
        with self._connect(job) as cluster:
            return cluster.gather(self._schedule(job, cluster))

    def _submit(self, executor: _Cluster, call: CraftCall) -> _CraftFuture:
        return executor.submit(call)

    # --- connecting ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self, job: Job) -> Iterator[_Cluster]:
        settings = _Settings(job.session)
        address = self.address or settings.get("dask_scheduler_address")
        retries = self.retries if self.retries is not None else settings.retries()
        if address:
            with self._remote_client(str(address), settings) as client:
                cluster = self._prepared(client, job, f"the Dask scheduler at {address}")
                try:
                    yield cluster
                finally:  # the scheduler outlives the run: its workers forget the session
                    cluster.forget_session()
            return
        with self._local_cluster(retries) as local, _client_of(local) as client:
            yield self._prepared(client, job, "a Dask LocalCluster started for this run")

    def _remote_client(self, address: str, settings: _Settings) -> Client:
        from distributed import Client

        timeout = self.connect_timeout
        if timeout is None:
            timeout = settings.number("dask_connect_timeout", DEFAULT_CONNECT_TIMEOUT)
        try:
            return Client(address, timeout=timeout)
        except Exception as error:
            raise RunnerError(
                f"Cannot reach the Dask scheduler at {address} within {timeout:g} s "
                f"({type(error).__name__}: {error}): start it (`dask scheduler`), or fix the "
                "address (--address, DaskRunner(address=...), or the dask_scheduler_address "
                "setting)"
            ) from error

    def _local_cluster(self, retries: int) -> LocalCluster:
        from distributed import LocalCluster

        options: dict[str, Any] = {"scheduler_kwargs": {"allowed_failures": retries}}
        if self.max_workers is not None:
            options.update(n_workers=self.max_workers, threads_per_worker=1)
        options.update(self.cluster_options)
        try:
            return LocalCluster(**options)
        except Exception as error:
            script = getattr(sys.modules.get("__main__"), "__file__", None)
            hint = (
                f"; if {script} runs the pipeline at its top level, put that under "
                "`if __name__ == '__main__':`, as the cluster's worker processes import it again"
                if script
                else ""
            )
            raise RunnerError(
                f"A Dask LocalCluster could not start with {options} "
                f"({type(error).__name__}: {error}): check the runner's cluster_options, or "
                f"connect to a running scheduler with dask_scheduler_address{hint}"
            ) from error

    def _prepared(self, client: Client, job: Job, where: str) -> _Cluster:
        workers = client.scheduler_info()["workers"]
        _logger.info(
            "%s: running on %s (%d workers); dashboard: %s",
            job.name,
            where,
            len(workers),
            client.dashboard_link,
        )
        _check_resources(job, workers)
        return _Cluster(client, _register_session(client, job))

    def __repr__(self) -> str:
        where = self.address or "LocalCluster"
        return f"DaskRunner({where}, max_workers={self.max_workers})"


class _Cluster:
    """The executor the base loop submits to: a Dask client and the workers' session plugin."""

    def __init__(self, client: Client, plugin_name: str | None) -> None:
        self.client = client
        self.plugin_name = plugin_name

    def submit(self, call: CraftCall) -> _CraftFuture:
        from statisfactory.pipeline.runners.dask_plugin import run_craft

        craft = call.craft
        upstream = {n: v.future for n, v in call.volatiles.items() if isinstance(v, _Remote)}
        given = {n: v for n, v in call.volatiles.items() if not isinstance(v, _Remote)}
        payload = process_worker.dump(craft, "value given", (call.context, call.arguments, given))
        future = self.client.submit(
            run_craft,
            craft.fqname,
            pickle.dumps(craft),
            payload,
            upstream,
            self.plugin_name,
            key=f"{craft.fqname}-{uuid.uuid4().hex}",
            resources=craft.resources or None,
        )
        return _CraftFuture(future, craft)

    def forget_session(self) -> None:
        """Unregister the session plugin, so workers joining later do not build it."""
        if self.plugin_name is not None:
            with contextlib.suppress(Exception):  # the run's outcome matters more
                self.client.unregister_worker_plugin(self.plugin_name)

    def gather(self, state: dict[str, Any]) -> dict[str, Any]:
        """Replace the state's remote volatiles by their values, fetching each result once."""
        futures = {id(v.future): v.future for v in state.values() if isinstance(v, _Remote)}
        if not futures:
            return state
        results = dict(zip(futures, self.client.gather(list(futures.values())), strict=True))
        unpickled = {key: pickle.loads(result) for key, result in results.items()}
        return {
            name: unpickled[id(value.future)][name] if isinstance(value, _Remote) else value
            for name, value in state.items()
        }


class _Remote:
    """A volatile still on the workers: the future of the craft that produced it."""

    __slots__ = ("future",)

    def __init__(self, future: DaskFuture) -> None:
        self.future = future


class _CraftFuture:
    """A submitted craft, as the base loop sees it: ``result()`` names its volatiles, remote."""

    __slots__ = ("craft", "future")

    def __init__(self, future: DaskFuture, craft: Craft) -> None:
        self.future = future
        self.craft = craft

    def add_done_callback(self, callback: Callable[[_CraftFuture], object]) -> None:
        self.future.add_done_callback(lambda _: callback(self))

    def result(self) -> dict[str, _Remote]:
        """The craft's volatiles as remote handles; raise its error, with the worker's traceback."""
        status = self.future.status
        if status == "error":
            raise _remote_error(self.craft, self.future)
        if status != "finished":
            raise RunnerError(
                f"Craft '{self.craft.fqname}': Dask reports its task as {status!r} (the "
                "scheduler or the client lost it); run the pipeline again"
            )
        remote = _Remote(self.future)
        kept: dict[str, Any] = {
            name: remote for name, kind in self.craft.output_kinds.items() if kind == "volatile"
        }
        if self.craft.has_metrics:  # the run history records them here, on the client
            kept.update(self._metrics())
        return kept

    def _metrics(self) -> dict[str, Any]:
        """The values of the craft's ``Metrics`` outputs, picked where its result is."""
        from statisfactory.pipeline.runners.dask_plugin import picked

        names = tuple(o.name for o in self.craft.signature.outputs if isinstance(o, Metrics))
        values: dict[str, Any] = self.future.client.submit(
            picked, self.future, names, pure=False
        ).result()
        return values


def _remote_error(craft: Craft, future: DaskFuture) -> BaseException:
    from distributed.scheduler import KilledWorker

    error = future.exception()
    if isinstance(error, KilledWorker):
        lost = WorkerLostError(
            f"the Dask workers running craft '{craft.fqname}' died {error.allowed_failures + 1} "
            f"time(s) (last: {error.last_worker.address}); look for memory exhaustion or a crash "
            "in the worker logs, or allow more retries (dask_retries setting, or "
            "DaskRunner(retries=...))"
        )
        lost.__cause__ = error
        return lost
    return error.with_traceback(future.traceback())


def _check_importable_by_workers(craft: Craft) -> None:
    """Workers import a craft by module and name: not from a function, nor from ``__main__``."""
    process_worker.check_importable(craft)
    if craft.function.__module__ == "__main__":
        raise CraftUsageError(
            f"Craft '{craft.fqname}' is defined in the script or notebook being run, which Dask "
            "workers cannot import: move it to a module of the project's sources folder "
            "(notebooks: `statisfactory compile`), or use runner='threads'"
        )


def _register_session(client: Client, job: Job) -> str | None:
    """Have every worker build the session from the project root; return the plugin's name."""
    from statisfactory.pipeline.runners.dask_plugin import SessionPlugin

    root = getattr(job.session, "root", None)
    if root is None:
        return None
    name = f"statisfactory-session-{uuid.uuid4().hex}"  # one per run: concurrent runs coexist
    try:
        pickled = process_worker.pickled_session(job.session)
        if pickled is None:  # no session: nothing for the workers to rebuild
            return None
        client.register_plugin(SessionPlugin(pickled, _identity(job.session)), name=name)
    except Exception as error:
        raise RunnerError(
            f"{job.name}: the Dask workers could not rebuild the session from {root} "
            f"({type(error).__name__}: {error}): every worker must see the project folder at "
            "the same path (a shared file system), with the same Python environment"
        ) from error
    return name


# A token per client session object: workers reuse the session they built for its earlier runs.
_identities: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _identity(session: Any) -> str:
    try:
        return _identities.setdefault(session, uuid.uuid4().hex)
    except TypeError:  # a session that cannot be weakly referenced: rebuilt for every run
        return uuid.uuid4().hex


def _check_resources(job: Job, workers: Mapping[str, Any]) -> None:
    """Refuse a craft asking for resources no worker offers: Dask would wait for it forever."""
    if not workers:
        return  # an adaptive cluster with no worker yet: nothing to compare with
    offered = [info.get("resources") or {} for info in workers.values()]
    for craft in job.plan.crafts:
        wanted = craft.resources
        if wanted and not any(
            all(have.get(key, 0) >= amount for key, amount in wanted.items()) for have in offered
        ):
            raise RunnerError(
                f"{job.name}: craft '{craft.fqname}' asks for resources {wanted} but no Dask "
                f"worker offers them (workers offer {offered}): start workers with "
                "`dask worker ... --resources 'GPU=1'`, or give a LocalCluster "
                "DaskRunner(cluster_options={'resources': {...}})"
            )


def _client_of(cluster: LocalCluster) -> Client:
    from distributed import Client

    return Client(cluster)


class _Settings:
    """The session's ``dask_*`` settings, validated (no session: none set)."""

    def __init__(self, session: Any) -> None:
        self._settings = getattr(session, "settings", None)

    def get(self, key: str) -> Any:
        return self._settings.get(key) if self._settings is not None else None

    def number(self, key: str, default: float) -> float:
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise RunnerError(_bad_setting(key, "a positive number of seconds", value))
        return float(value)

    def retries(self) -> int:
        value = self.get("dask_retries")
        if value is None:
            return DEFAULT_RETRIES
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RunnerError(_bad_setting("dask_retries", "an integer ≥ 0", value))
        return value


def _bad_setting(key: str, expected: str, value: Any) -> str:
    return (
        f"Setting '{key}' must be {expected}, got {value!r}: fix it in the configuration's "
        f"globals/locals files or the STATISFACTORY_{key.upper()} environment variable"
    )
