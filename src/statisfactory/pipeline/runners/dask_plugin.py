"""What runs on Dask workers: the session rebuilt once per worker, then one craft per task.

A worker keeps the last session it built: the runs of one client session (its identity, sent
with its pickle) reuse it, so a run on a running cluster does not wait for every worker to read
the project again; a run of another session (a new ``Session()``) builds its own.

Crafts and values reach a worker as bytes pickled by the client and are unpickled only here,
after the worker's session has put the project's ``sources`` on ``sys.path``: the scheduler
never needs to import the user's modules, and a value that cannot cross processes is reported
with the craft and the name it was given under.

Workers print and log on their own streams, which a LocalCluster shares with the process that
started it: once a worker has a session, everything it prints or logs (``print`` in a craft,
Dask's "Compute Failed" reports) and every error it sends back is masked with the secrets of
the session and of the crafts' contexts, as in the processes runner's workers.
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Mapping
from typing import Any

from distributed import WorkerPlugin, get_worker

from statisfactory.errors import CraftUsageError, RunnerError
from statisfactory.pipeline.craft import Craft
from statisfactory.pipeline.runners import worker as process_worker
from statisfactory.plugins.relay import worker_hooks

# The last session this worker built: (client session identity, its pickle), session, hooks.
_built: tuple[tuple[str, bytes], Any, Any] | None = None


class SessionPlugin(WorkerPlugin):
    """Rebuild the client's session when a worker starts (or the plugin is registered), from
    its :func:`~statisfactory.pipeline.runners.worker.pickled_session` (its root), unless this
    worker built it for an earlier run of the same client session (``identity``).

    Workers started later (a replacement for a worker that died, a scaled-up cluster) build
    theirs before running any task.
    """

    def __init__(self, session: bytes, identity: str) -> None:
        self.pickled = session  # bytes: the scheduler, which never unpickles it, needs no project
        self.identity = identity
        self.session: Any = None
        self.hooks: Any = None

    def setup(self, worker: Any) -> None:
        global _built
        key = (self.identity, self.pickled)
        if _built is not None and _built[0] == key:
            _, self.session, self.hooks = _built
            return
        self.session = pickle.loads(self.pickled)
        self.hooks = worker_hooks(self.session)
        process_worker.keep_secret(self.session)
        _built = (key, self.session, self.hooks)

    def teardown(self, worker: Any) -> None:
        self.session = self.hooks = None


def run_craft(
    fqname: str,
    craft_bytes: bytes,
    payload: bytes,
    upstream: Mapping[str, bytes],
    plugin_name: str | None,
) -> bytes:
    """Run one craft on this worker; return its kept volatiles, pickled.

    ``payload`` is the pickled ``(context, arguments, volatiles)`` prepared by the client;
    ``upstream`` maps each volatile produced by another craft to that craft's pickled result
    (Dask resolves the futures before calling). Errors raised by the craft propagate with their
    class, secrets masked, so Dask sends them back with the worker's traceback.
    """
    try:
        plugin = _worker_plugin(plugin_name, fqname)
        session = plugin.session if plugin is not None else None
        with session if session is not None else contextlib.nullcontext():
            craft = _load_craft(fqname, craft_bytes)
            context, arguments, volatiles = pickle.loads(payload)
            process_worker.keep_secret(session, context, arguments)  # parameters are in context
            volatiles.update(_unpack(craft, upstream))
            catalog = session.catalog if session is not None and craft.uses_catalog else None
            hooks = plugin.hooks if plugin is not None else None
            _, kept = craft.execute(context, arguments, volatiles, catalog=catalog, hooks=hooks)
    except BaseException as error:
        process_worker.mask_raised(error)
        raise
    return process_worker.dump(craft, "volatile returned", kept)


def _worker_plugin(plugin_name: str | None, fqname: str) -> SessionPlugin | None:
    """The worker's session plugin: its rebuilt session and that session's hooks."""
    if plugin_name is None:
        return None
    worker = get_worker()
    plugin = worker.plugins.get(plugin_name)
    if not isinstance(plugin, SessionPlugin) or plugin.session is None:
        raise RunnerError(
            f"Craft '{fqname}': Dask worker {worker.address} has no Statisfactory session: "
            "building it failed when the worker started (see that worker's log); every worker "
            "must see the project folder at the same path"
        )
    return plugin


def _load_craft(fqname: str, craft_bytes: bytes) -> Craft:
    try:
        return pickle.loads(craft_bytes)
    except Exception as error:
        raise CraftUsageError(
            f"Craft '{fqname}' cannot be imported on Dask worker {get_worker().address} "
            f"({type(error).__name__}: {error}): keep its module in the project's sources "
            "folder on a file system every worker sees, or install it on the workers"
        ) from error


def _unpack(craft: Craft, upstream: Mapping[str, bytes]) -> dict[str, Any]:
    """The named volatiles out of their producers' results, each result unpickled once."""
    results: dict[int, Mapping[str, Any]] = {}
    volatiles = {}
    for name, pickled in upstream.items():
        if id(pickled) not in results:
            try:
                results[id(pickled)] = pickle.loads(pickled)
            except Exception as error:
                raise CraftUsageError(
                    f"Craft '{craft.fqname}': volatile '{name}' cannot be unpickled on Dask "
                    f"worker {get_worker().address} ({type(error).__name__}: {error}): the "
                    "modules defining its type must be importable on every worker"
                ) from error
        volatiles[name] = results[id(pickled)][name]
    return volatiles


def picked(result: bytes, names: tuple[str, ...]) -> dict[str, Any]:
    """The volatiles ``names`` of a craft's pickled ``result`` (:func:`run_craft`), picked on
    the worker holding it: the client fetches a craft's metrics, not its other volatiles."""
    kept = pickle.loads(result)
    return {name: kept[name] for name in names if name in kept}
