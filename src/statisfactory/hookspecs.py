"""Hook specifications: every point where a plugin observes a session, a run, a craft or an
artifact. This page is the whole contract for plugin authors.

A hook plugin is any object (a module, a class instance) with functions named like the
specifications below and marked ``@hookimpl``::

    from statisfactory.hookspecs import hookimpl

    class Timings:
        @hookimpl
        def after_craft(self, craft, run):   # any subset of the arguments, by name
            print(craft.fqname, "done in run", run.id)

An implementation takes any subset of the specification's arguments; an argument name the
specification does not have is refused when the plugin is registered (a
:class:`~statisfactory.plugins.manager.PluginError`), not when the hook is called.

A plugin joins a run in one of three ways:

- a package declares it in the entry-point group ``statisfactory.hooks``; it is loaded for every
  session of every project, unless the project lists its name in ``disabled_hook_plugins``;
- a project lists ``"module:attribute"`` in its ``hook_plugins`` setting (looked up from the
  project's sources);
- ``pipeline.run(params, plugins=[Timings()])`` for one run.

Hooks are called in the process that schedules the run, except the artifact hooks, which are
called where the artifact is loaded or saved: in a worker process or on a Dask worker they are
those of the worker's session (entry points and ``hook_plugins``), with ``run=None``.
An exception raised by a hook stops the run as a :class:`~statisfactory.errors.HookError`
naming the plugin, except in ``on_craft_error`` and ``on_run_error``, where it is logged so that
the original failure stays the one reported.

The ``run`` argument is a :class:`statisfactory.pipeline.run.Run`: ``run.id``, ``run.pipeline``,
``run.plan``, ``run.params``, ``run.configuration``, ``run.catalog``, ``run.status``,
``run.statuses`` (one :class:`~statisfactory.pipeline.run.CraftStatus` per craft),
``run.started`` and ``run.ended``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from statisfactory.IO.artifact import Artifact
    from statisfactory.pipeline.craft import Craft
    from statisfactory.pipeline.run import Run, RunResult
    from statisfactory.session.base_session import BaseSession

PROJECT = "statisfactory"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- the session ------------------------------------------------------------------------------
@hookspec
def after_session_init(session: BaseSession) -> None:
    """The session's hook plugins were just loaded: at its first run, or the first access to
    ``session.plugins``, after every ``BaseSession.hook_post_init`` hook has run.

    :param session: the session, its catalog, parameters and settings available.
    """


# --- the run ----------------------------------------------------------------------------------
@hookspec
def before_run(run: Run) -> None:
    """A pipeline run starts; every check passed and no craft has run yet.

    :param run: the run; ``run.status`` is ``running``.
    """


@hookspec
def after_run(run: Run, result: RunResult) -> None:
    """The run succeeded.

    :param run: the run; ``run.status`` is ``succeeded``, ``run.ended`` is set.
    :param result: what ``Pipeline.run`` returns: the volatiles by name, with ``run_id``,
        ``statuses`` and ``written``.
    """


@hookspec
def on_run_error(run: Run, error: BaseException) -> None:
    """The run failed or was interrupted; ``error`` propagates once every plugin has seen it.

    :param run: the run; ``run.status`` is ``failed`` or ``interrupted``.
    :param error: the exception (a ``CraftError`` naming the craft, a ``KeyboardInterrupt``…).
    """


# --- crafts -----------------------------------------------------------------------------------
@hookspec(firstresult=True)
def decide_craft(run: Run, craft: Craft, index: int) -> Any:
    """Whether the craft runs now; the first plugin returning something other than None wins.

    Return None to let it run, ``statisfactory.pipeline.job.Skip(reason)`` to skip it (its
    volatiles are then absent), or ``statisfactory.pipeline.job.RunFirst(producers)`` (a mapping
    from the indexes of skipped crafts to the volatile needed from each) to have those crafts
    run again before it. Called each time the craft comes up; the incremental runs' skip policy
    is a plugin of this hook.

    :param run: the run.
    :param craft: the craft about to start.
    :param index: its position in ``run.plan.crafts``.
    """


@hookspec
def before_craft(run: Run, craft: Craft, index: int, context: Mapping[str, Any]) -> None:
    """The craft is about to be submitted to the runner.

    :param run: the run.
    :param craft: the craft.
    :param index: its position in ``run.plan.crafts``.
    :param context: its parameters and ``!{}`` values, as it runs with them.
    """


@hookspec
def after_craft(run: Run, craft: Craft, index: int, volatiles: Mapping[str, Any]) -> None:
    """The craft succeeded; its artifacts are saved.

    :param run: the run.
    :param craft: the craft.
    :param index: its position in ``run.plan.crafts``.
    :param volatiles: the volatiles it returned, by name.
    """


@hookspec
def on_craft_error(run: Run, craft: Craft, index: int, error: BaseException) -> None:
    """The craft (or a hook before it) failed; the run stops starting crafts.

    :param run: the run.
    :param craft: the craft.
    :param index: its position in ``run.plan.crafts``.
    :param error: the exception it raised.
    """


@hookspec
def on_craft_skip(run: Run, craft: Craft, index: int, reason: str) -> None:
    """The craft is skipped (``before_craft`` and ``after_craft`` are then not called).

    :param run: the run.
    :param craft: the craft.
    :param index: its position in ``run.plan.crafts``.
    :param reason: why, in words (e.g. "unchanged since run 20250131-142501-3fa9c2").
    """


@hookspec
def after_metrics(run: Run, craft: Craft, metrics: Mapping[str, float]) -> None:
    """The craft's metrics were recorded in the run history (after its saves): the numbers of
    its ``+tags: [metrics]`` artifacts and ``Metrics`` outputs.

    :param run: the run.
    :param craft: the craft.
    :param metrics: name -> value, as recorded.
    """


@hookspec
def before_craft_call(run: Run | None, craft: Craft, context: Mapping[str, Any]) -> None:
    """The craft's function is about to be called, where it runs: in the runner's thread (the
    calling one, or a thread of the threads runner), a worker process or a Dask worker; there,
    the worker session's plugins hear it with ``run=None``. Its artifacts are not loaded yet.

    This is where a plugin sets up what is per thread or per process for the craft's code
    (e.g. the MLflow plugin makes its run the thread's active run).

    :param run: the run, or None in a worker process or on a Dask worker.
    :param craft: the craft.
    :param context: its parameters and ``!{}`` values, as it runs with them.
    """


# --- artifacts (called where the artifact is loaded or saved) ---------------------------------
@hookspec
def before_artifact_load(
    run: Run | None, craft: Craft, name: str, context: Mapping[str, Any], location: str
) -> None:
    """A craft is about to load an artifact.

    :param run: the run, or None in a worker process or on a Dask worker.
    :param craft: the craft loading it.
    :param name: the artifact's name in the catalog.
    :param context: the ``!{}`` values it is resolved with.
    :param location: where it lives: an absolute path or a URL.
    """


@hookspec
def after_artifact_load(
    run: Run | None,
    craft: Craft,
    name: str,
    context: Mapping[str, Any],
    location: str,
    value: Any,
) -> None:
    """A craft loaded an artifact.

    :param value: what was loaded; the other arguments as in ``before_artifact_load``.
    """


@hookspec
def before_artifact_save(
    run: Run | None,
    craft: Craft,
    name: str,
    context: Mapping[str, Any],
    location: str,
    value: Any,
) -> None:
    """A craft is about to save an artifact.

    :param value: what is about to be saved; the other arguments as in
        ``before_artifact_load``.
    """


@hookspec
def after_artifact_save(
    run: Run | None,
    craft: Craft,
    name: str,
    context: Mapping[str, Any],
    location: str,
    value: Any,
    artifact: Artifact,
) -> None:
    """A craft saved an artifact (the save succeeded).

    :param value: what was saved.
    :param artifact: the artifact's catalog entry (type, path or URL, extra).
    :param run: the other arguments as in ``before_artifact_load``.
    """


HOOK_NAMES: tuple[str, ...] = (
    "after_session_init",
    "before_run",
    "after_run",
    "on_run_error",
    "decide_craft",
    "before_craft",
    "after_craft",
    "on_craft_error",
    "on_craft_skip",
    "after_metrics",
    "before_craft_call",
    "before_artifact_load",
    "after_artifact_load",
    "before_artifact_save",
    "after_artifact_save",
)
