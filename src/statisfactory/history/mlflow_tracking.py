"""The MLflow plugin: each pipeline run tracked as an MLflow run, linked both ways.

On with the setting ``mlflow: {enabled: true}``; the session adds it to each of its runs
(``BaseSession.run_plugins``). Per run it creates one MLflow run in the experiment (default: the
project slug) with the run's resolved parameters (a craft's own ones prefixed ``craft.``; secrets
left out), the tags ``statisfactory.run_id``, ``statisfactory.pipeline``,
``statisfactory.configuration`` and the git commit, the metrics recorded during the run, and the
artifacts listed in ``log_artifacts`` and every MLflow model the run writes (a ``mlflow.<flavour>``
artifact, logged as its folder under the artifact's name). The run history gets the MLflow run id
(``runs.mlflow_run_id``).

The MLflow run is the active run of the thread that runs the pipeline and of every thread that
runs a craft (``before_craft_call``), so ``mlflow.log_metric`` inside a craft lands in it on
the sequential and threads runners. Worker processes and Dask workers have no active run.
Runs a craft leaves open on the pipeline's thread end with the run.

Tracking must never cost the run: calls are batched (``log_batch``), HTTP retries and timeouts
are bounded, and the first failure (a server that is down) is warned once; the run then goes on
untracked.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from statisfactory.errors import ConfigurationError, IntegrationError, install_hint
from statisfactory.history.recorder import git_commit
from statisfactory.history.store import STORE_FOLDER, store_for
from statisfactory.hookspecs import hookimpl
from statisfactory.IO.interactors import folders
from statisfactory.IO.interactors.base import is_model_type
from statisfactory.IO.interpolation import scheme_of
from statisfactory.logger import get_logger
from statisfactory.pipeline.run import RunStatus
from statisfactory.secrets import is_secret_key, of_session

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from statisfactory.pipeline.craft import Craft
    from statisfactory.pipeline.run import Run, RunResult

_logger = get_logger("history.mlflow")

SETTING = "mlflow"
DEFAULT_DATABASE = "mlflow.db"
DEFAULT_ARTIFACTS = "mlruns"
# MLflow's defaults retry an unreachable server 7 times with exponential backoff and wait
# 120 s for an answer: minutes per call. Here a refused connection costs milliseconds and a
# server that does not answer 10 s, once per run (tracking stops at the first failure). A
# project that sets these variables keeps its values.
BOUNDED_HTTP = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
}
CAUSE_LENGTH = 300  # MLflow's messages repeat the whole request; the start says what failed
# MLflow's limits per log_batch call, and on a parameter's key and value.
MAX_PARAMS, MAX_METRICS = 100, 1000
MAX_KEY, MAX_VALUE = 250, 6000
_KEY_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. /")


# (tracking URI, experiment name) -> experiment id, so that a run asks for it once per process
_EXPERIMENTS: dict[tuple[str, str], str] = {}
# (tracking URI, sweep id) -> the MLflow run of the sweep, parent of its members' runs
_SWEEPS: dict[tuple[str, str], str] = {}


class MlflowSettings(BaseModel):
    """The ``mlflow`` setting."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    tracking_uri: str | None = None  # default: SQLite in .statisfactory/mlflow.db
    experiment: str | None = None  # default: the project slug
    log_artifacts: list[str] = []


def read_settings(session: Any) -> MlflowSettings:
    """The session's ``mlflow`` setting, checked: a wrong key or value names itself."""
    raw = session.settings.get(SETTING)
    if raw is None:
        return MlflowSettings()
    if not isinstance(raw, Mapping):
        raise ConfigurationError(
            f"Setting '{SETTING}' must be a mapping such as {{enabled: true, experiment: ...}}, "
            f"got {type(raw).__name__}: fix it in the configuration folder's globals.yaml or "
            f"locals.yaml."
        )
    try:
        return MlflowSettings.model_validate(dict(raw))
    except ValidationError as error:
        problems = "; ".join(
            f"{SETTING}.{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors()
        )
        raise ConfigurationError(
            f"Setting '{SETTING}' is wrong ({problems}). Its keys are "
            f"{', '.join(MlflowSettings.model_fields)}; fix it in the configuration folder's "
            f"globals.yaml or locals.yaml."
        ) from None


def tracking_plugins(run: Run) -> list[tuple[str, Any]]:
    """The MLflow plugin of ``run`` when the ``mlflow`` setting enables it, else none."""
    session = run.session
    if session is None:
        return []
    settings = read_settings(session)
    if not settings.enabled:
        return []
    import importlib.util

    if importlib.util.find_spec("mlflow") is None:
        raise IntegrationError(
            f"Setting '{SETTING}' enables MLflow tracking, but mlflow is not installed: "
            f"{install_hint('mlflow')}, or set {SETTING}.enabled: false."
        )
    if run.catalog is not None and settings.log_artifacts:
        unknown = [name for name in settings.log_artifacts if name not in run.catalog]
        if unknown:
            raise ConfigurationError(
                f"Setting '{SETTING}.log_artifacts' names {', '.join(map(repr, unknown))}, not "
                f"in the catalog: list artifacts of the catalog (statisfactory catalog ls)."
            )
    return [("mlflow", MlflowTracking(run, settings))]


def default_tracking_uri(root: Path) -> str:
    """The store embedded in the project: SQLite in ``.statisfactory/mlflow.db``."""
    return f"sqlite:///{(Path(root) / STORE_FOLDER / DEFAULT_DATABASE).as_posix()}"


def bound_http() -> None:
    """Bounded retries and timeouts for MLflow's HTTP calls, unless the project chose its own."""
    for name, value in BOUNDED_HTTP.items():
        os.environ.setdefault(name, value)


class MlflowTracking:
    """Tracks one run in MLflow; see the module docstring."""

    def __init__(self, run: Run, settings: MlflowSettings) -> None:
        session = run.session
        self.run = run
        self.settings = settings
        self.root = Path(session.root)
        self.uri = settings.tracking_uri or default_tracking_uri(self.root)
        self.experiment = settings.experiment or session.config.project_slug
        self.mlflow_run_id: str | None = None
        self.metrics: dict[str, float] = {}
        self._client: MlflowClient | None = None
        self._previous_uri: str | None = None
        self._callers_run: str | None = None  # the calling thread's active run before ours
        self._began = 0  # when the run began, in ms: runs started since are the run's
        self._active_threads: set[int] = set()
        self._lock = threading.Lock()
        self._failed = False

    # --- the run ------------------------------------------------------------------------------
    @hookimpl
    def before_run(self, run: Run) -> None:
        bound_http()
        import mlflow

        try:
            self._client = mlflow.MlflowClient(self.uri)
            experiment_id = self._experiment_id()
            tags = {
                "statisfactory.run_id": run.id,
                "statisfactory.pipeline": run.pipeline.name or "unnamed",
                "statisfactory.configuration": run.configuration or "",
            }
            commit = git_commit(run.session)
            if commit is not None:
                tags["mlflow.source.git.commit"] = commit
            self._previous_uri = mlflow.get_tracking_uri()
            callers = mlflow.active_run()
            self._callers_run = callers.info.run_id if callers is not None else None
            self._began = int(time.time() * 1000)
            mlflow.set_tracking_uri(self.uri)  # what a craft's mlflow.log_metric goes to
            if run.sweep_id:
                # A sweep's members run as one graph, side by side: each member's MLflow run is
                # a child of the sweep's, and none is a thread's active run.
                tags["statisfactory.sweep_id"] = str(run.sweep_id)
                tags["mlflow.parentRunId"] = self._sweep_run(str(run.sweep_id), experiment_id)
                assert self._client is not None
                created = self._client.create_run(experiment_id, run_name=run.id, tags=tags)
                self.mlflow_run_id = created.info.run_id
            else:
                self.mlflow_run_id = self._start_active(run, experiment_id, tags)
            self._log(params=mlflow_params(run))
        except Exception as error:
            self._give_up(error)
            return
        store_for(run.session).link_mlflow_run(run.id, self.mlflow_run_id)

    def _start_active(self, run: Run, experiment_id: str, tags: dict[str, str]) -> str:
        """Start the MLflow run as this thread's active run; a run the caller opened is its
        parent (MLflow tags it so)."""
        import mlflow

        nested = mlflow.active_run() is not None
        try:
            started = mlflow.start_run(
                experiment_id=experiment_id, run_name=run.id, nested=nested, tags=tags
            )
        except Exception:  # the experiment remembered may have been deleted since
            if _EXPERIMENTS.pop((self.uri, self.experiment), None) is None:
                raise
            started = mlflow.start_run(
                experiment_id=self._experiment_id(), run_name=run.id, nested=nested, tags=tags
            )
        self._active_threads.add(threading.get_ident())
        return str(started.info.run_id)

    @hookimpl
    def before_craft_call(self, run: Run | None) -> None:
        if run is self.run and not self._failed and self.mlflow_run_id and not run.sweep_id:
            try:
                self._activate()
            except Exception as error:
                self._give_up(error)

    @hookimpl
    def after_run(self, run: Run, result: RunResult) -> None:
        self._end(run, "FINISHED", result.written)

    @hookimpl
    def on_run_error(self, run: Run) -> None:
        status = "KILLED" if run.status is RunStatus.INTERRUPTED else "FAILED"
        self._end(run, status, run.written())

    @hookimpl
    def after_metrics(self, run: Run, metrics: Mapping[str, float]) -> None:
        if run is self.run:
            self.record_metrics(metrics)

    def record_metrics(self, metrics: Mapping[str, float]) -> None:
        """Keep metrics for the run's MLflow run, logged in one batch when the run ends."""
        with self._lock:
            self.metrics.update((_key(str(k)), float(v)) for k, v in metrics.items())

    # --- MLflow -------------------------------------------------------------------------------
    def _experiment_id(self) -> str:
        """The experiment's id, created when absent; known ids are remembered per process."""
        key = (self.uri, self.experiment)
        known = _EXPERIMENTS.get(key)
        if known is not None:
            return known
        assert self._client is not None
        found = self._client.get_experiment_by_name(self.experiment)
        if found is None:
            location = None
            if self.settings.tracking_uri is None:  # the embedded store keeps its files beside
                location = (self.root / STORE_FOLDER / DEFAULT_ARTIFACTS).as_uri()
            try:
                _EXPERIMENTS[key] = self._client.create_experiment(
                    self.experiment, artifact_location=location
                )
                return _EXPERIMENTS[key]
            except Exception:  # created meanwhile by another process
                found = self._client.get_experiment_by_name(self.experiment)
                if found is None:
                    raise
        _EXPERIMENTS[key] = str(found.experiment_id)
        return _EXPERIMENTS[key]

    def _sweep_run(self, sweep: str, experiment_id: str) -> str:
        """The MLflow run standing for sweep ``sweep`` (its members are its children), created
        by its first member; known ones are remembered per process."""
        key = (self.uri, sweep)
        known = _SWEEPS.get(key)
        if known is not None:
            return known
        assert self._client is not None
        found = self._client.search_runs(
            [experiment_id],
            filter_string=f"tags.`statisfactory.sweep` = '{_quoted(sweep)}'",
            max_results=1,
        )
        if found:
            _SWEEPS[key] = found[0].info.run_id
        else:
            parent = self._client.create_run(
                experiment_id, run_name=f"sweep {sweep}", tags={"statisfactory.sweep": sweep}
            )
            self._client.set_terminated(parent.info.run_id, "FINISHED")  # it only groups
            _SWEEPS[key] = parent.info.run_id
        return _SWEEPS[key]

    def _activate(self) -> None:
        """Make the MLflow run this thread's active run (MLflow keeps one stack per thread)."""
        thread = threading.get_ident()
        if thread in self._active_threads:
            return
        import mlflow

        active = mlflow.active_run()
        if active is None or active.info.run_id != self.mlflow_run_id:
            mlflow.start_run(run_id=self.mlflow_run_id, nested=active is not None)
        with self._lock:
            self._active_threads.add(thread)

    def _log(
        self,
        *,
        params: Mapping[str, str] = {},
        metrics: Mapping[str, float] = {},
    ) -> None:
        """Log in as few ``log_batch`` calls as MLflow's limits allow."""
        from mlflow.entities import Metric, Param

        assert self._client is not None and self.mlflow_run_id is not None
        now = int(time.time() * 1000)
        client, run_id = self._client, self.mlflow_run_id
        for chunk in _chunks([Param(k, v) for k, v in params.items()], MAX_PARAMS):
            client.log_batch(run_id, params=chunk)
        for chunk in _chunks([Metric(k, v, now, 0) for k, v in metrics.items()], MAX_METRICS):
            client.log_batch(run_id, metrics=chunk)

    def _end(self, run: Run, status: str, written: Mapping[str, str]) -> None:
        if self._failed or self.mlflow_run_id is None:
            self._restore()
            return
        try:
            with self._lock:
                metrics = dict(self.metrics)
            self._log(metrics=metrics)
            self._log_artifacts(written)
            if not self._deactivate(status):  # a craft ended it, or another thread runs this
                assert self._client is not None
                self._client.set_terminated(self.mlflow_run_id, status)
        except Exception as error:
            self._give_up(error)
        finally:
            self._restore()

    def _log_artifacts(self, written: Mapping[str, str]) -> None:
        assert self._client is not None and self.mlflow_run_id is not None
        models = self._models(written)
        for name in self.settings.log_artifacts:
            location = written.get(name)
            if not location or name in models:
                continue  # not written by this run, or a model (logged below)
            path = Path(location.removeprefix("file://"))
            if "://" in location.removeprefix("file://") or not path.exists():
                _logger.warning(
                    "mlflow: artifact '%s' is stored at %s, not in a local file: it is not "
                    "logged to MLflow (log_artifacts takes local files and folders)",
                    name,
                    of_session(self.run.session, self.run.params).mask(location),
                )
            elif path.is_dir():
                self._client.log_artifacts(self.mlflow_run_id, str(path), artifact_path=name)
            else:
                self._client.log_artifact(self.mlflow_run_id, str(path), artifact_path=name)

        for name in models:
            self._log_model(name, written[name])

    def _models(self, written: Mapping[str, str]) -> list[str]:
        """The MLflow models (artifacts of a model flavour's type) the run wrote."""
        catalog = self.run.catalog
        if catalog is None:
            return []
        return [n for n in written if n in catalog and is_model_type(catalog[n].type)]

    def _log_model(self, name: str, location: str) -> None:
        """Log the model's folder (with its ``MLmodel``) under the artifact's name, so that
        ``mlflow.<flavour>.load_model("runs:/<id>/<name>")`` loads it; a model on a remote store
        is copied to a local temporary folder first."""
        import tempfile

        assert self._client is not None and self.mlflow_run_id is not None
        local = Path(location.removeprefix("file://"))
        if "://" not in location.removeprefix("file://"):
            self._client.log_artifacts(self.mlflow_run_id, str(local), artifact_path=name)
            return
        assert self.run.catalog is not None
        backend = self.run.catalog.backend(scheme_of(location))
        with tempfile.TemporaryDirectory(prefix="statisfactory-model-") as staged:
            if folders.download_folder(backend, location, Path(staged)):
                self._client.log_artifacts(self.mlflow_run_id, staged, artifact_path=name)

    def _deactivate(self, status: str) -> bool:
        """End the runs this thread started since the run began, ours included; True if ours
        was one of them (the crafts' threads end with the run)."""
        import mlflow

        ended = False
        active = mlflow.active_run()
        # Down to the caller's own run: a run a craft left open here (``mlflow.log_metric``
        # with no active run starts one, as in a sweep's members) would otherwise stay this
        # thread's active run after ours, and be ended at exit in whatever store is current.
        while (
            active is not None
            and active.info.run_id != self._callers_run
            and (active.info.start_time or 0) >= self._began
        ):
            ended = ended or active.info.run_id == self.mlflow_run_id
            mlflow.end_run(status if active.info.run_id == self.mlflow_run_id else "FINISHED")
            active = mlflow.active_run()
        return ended

    def _restore(self) -> None:
        if self._previous_uri is not None:
            import mlflow

            mlflow.set_tracking_uri(self._previous_uri)
            self._previous_uri = None

    def _give_up(self, error: BaseException) -> None:
        """Warn once, then track nothing more of this run: tracking never fails a run."""
        with self._lock:
            if self._failed:
                return
            self._failed = True
        secrets = of_session(self.run.session, self.run.params)
        _logger.warning(
            "mlflow: tracking at %s failed (%s: %s); run %s goes on without MLflow tracking. "
            "Check that the tracking server is up, or fix the mlflow.tracking_uri setting",
            secrets.mask(self.uri),
            type(error).__name__,
            secrets.mask(str(error).split("\n", 1)[0][:CAUSE_LENGTH]),
            self.run.id,
        )
        with contextlib.suppress(Exception):  # no active run left behind, whatever the server says
            self._deactivate("FAILED")


def mlflow_params(run: Run) -> dict[str, str]:
    """The run's parameters for MLflow: shared ones by name, a craft's own ones as
    ``craft.name``; secrets (by key, at any depth) left out and secret values masked."""
    crafts: dict[str, Craft] = {}
    for craft in run.plan.crafts:
        crafts[craft.fqname] = craft
        crafts.setdefault(craft.name, craft)
    secrets = of_session(run.session, run.params)
    flat: dict[str, str] = {}
    for key, value in run.params.items():
        if is_secret_key(key):
            continue
        if key in crafts and isinstance(value, Mapping):
            for inner, item in value.items():
                if not is_secret_key(inner):
                    flat[_key(f"{key}.{inner}")] = _value(item, secrets)
        else:
            flat[_key(str(key))] = _value(value, secrets)
    return flat


def _quoted(text: str) -> str:
    """``text`` inside a single-quoted string of MLflow's search syntax."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _key(text: str) -> str:
    return "".join(c if c in _KEY_CHARACTERS else "_" for c in text)[:MAX_KEY]


def _value(value: Any, secrets: Any) -> str:
    if isinstance(value, Mapping):
        value = {k: "***" if is_secret_key(k) else v for k, v in value.items()}
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return str(secrets.mask(text))[:MAX_VALUE]


def _chunks(items: Sequence[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
