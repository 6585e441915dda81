"""What runs inside a worker process: the session rebuilt once, then one craft per call.

The session arrives pickled by the parent (:func:`pickled_session`); a session pickles as its
root, so unpickling it here builds the worker's own, and the runners need not know its class.

A call travels as the craft (pickled by reference: module and name) and one payload of bytes
pickled by the parent, so a value that cannot be pickled is reported with the craft and the
name it was given under, instead of a bare pickling error from deep inside the pool.

A worker shares its streams with the process that started it: what a craft prints or logs
there, and the errors sent back, are masked with the secrets of the session and of the crafts'
contexts (:func:`keep_secret`, :func:`mask_raised`; the Dask workers use them too).
"""

from __future__ import annotations

import contextlib
import logging
import pickle
from collections.abc import Mapping
from typing import Any

from statisfactory.errors import CraftUsageError
from statisfactory.pipeline.craft import Craft
from statisfactory.pipeline.failure_place import remember_place
from statisfactory.pipeline.job import CraftCall
from statisfactory.plugins.relay import HookRelay, worker_hooks
from statisfactory.secrets import Secrets, guard_process

_session: Any = None
_session_sent: bytes | None = None  # what _session was rebuilt from
_hooks: HookRelay | None = None
# What this process masks: it only grows (sessions of several runs, the crafts' contexts), so
# that the streams and log handlers are wrapped once and masking more is never a loss.
_secrets = Secrets()


def keep_secret(session: Any, *sources: Any) -> None:
    """Mask the secrets of ``session`` and ``sources`` (contexts, arguments) in everything this
    process prints or logs from now on."""
    known = getattr(session, "secrets", None)
    if isinstance(known, Secrets):
        _secrets.add_values(known.values)
    _secrets.add(*sources)
    guard_process(_secrets)


def mask_raised(error: BaseException | None) -> None:
    """Mask the known secrets in ``error`` and the errors it was raised from, before they are
    logged or sent to the parent."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        _secrets.mask_error(error)
        error = error.__cause__ or error.__context__


def pickled_session(session: Any) -> bytes | None:
    """What a worker rebuilds ``session`` from (:func:`initialize`); None without a session."""
    return None if session is None else pickle.dumps(session)


LoggingSetup = tuple[int, int, str | None, str | None]  # root level, own level, format, datefmt


def parent_logging() -> LoggingSetup | None:
    """How this process shows log records on stderr (root and ``statisfactory`` levels, the
    first handler's format), for workers that start fresh (forkserver, spawn) and so would
    otherwise show only warnings; None when nothing is set up."""
    root = logging.getLogger()
    if not root.handlers:
        return None
    formatter = root.handlers[0].formatter
    own = logging.getLogger("statisfactory").level
    fmt = getattr(formatter, "_fmt", None)
    return root.level, own, fmt, getattr(formatter, "datefmt", None)


def _show_logs(setup: LoggingSetup | None) -> None:
    """Show log records on this worker's stderr (the parent's) as the parent does."""
    root = logging.getLogger()
    if setup is None or root.handlers:
        return
    root_level, own_level, fmt, datefmt = setup
    handler = logging.StreamHandler()  # sys.stderr, inherited from the parent
    handler.setFormatter(logging.Formatter(fmt, datefmt=datefmt))
    root.addHandler(handler)
    root.setLevel(root_level)
    logging.getLogger("statisfactory").setLevel(own_level)


def initialize(session: bytes | None, logs: LoggingSetup | None = None) -> None:
    """Build this process's session and its hooks from the parent's :func:`pickled_session`
    (once per process and session); ``logs`` (:func:`parent_logging`) shows log records as the
    parent does."""
    global _session, _session_sent, _hooks
    _show_logs(logs)
    if session is None or (_session is not None and _session_sent == session):
        return
    _session, _session_sent = pickle.loads(session), session
    _hooks = worker_hooks(_session)
    keep_secret(_session)


def warm_up(modules: tuple[str, ...]) -> None:
    """Import the crafts' ``modules`` and build the session's catalog, before the first craft
    (errors are left for that craft to report)."""
    import importlib

    for name in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    if _session is not None:
        with contextlib.suppress(Exception):
            _ = _session.catalog


def execute(craft: Craft, payload: bytes, sent_session: bytes | None = None) -> bytes:
    """Run ``craft`` with the pickled ``(context, arguments, volatiles)``; return its volatiles.

    ``sent_session`` (a :func:`pickled_session`) lets an engine without a pool initializer
    build the session on the first call.
    The craft gets this process's catalog and hooks.
    """
    try:
        if sent_session is not None:
            initialize(sent_session)
        context, arguments, volatiles = pickle.loads(payload)
        keep_secret(_session, context, arguments)
        session = _session
        if session is None:
            _, kept = craft.execute(context, arguments, volatiles)
        else:
            catalog = session.catalog if craft.uses_catalog else None
            with session:
                _, kept = craft.execute(
                    context, arguments, volatiles, catalog=catalog, hooks=_hooks
                )
    except BaseException as error:
        mask_raised(error)
        remember_place(error)
        raise
    return dump(craft, "volatile returned", kept)


def pack(call: CraftCall) -> tuple[Craft, bytes]:
    """The arguments of :func:`execute` for ``call``; unpicklable values are named."""
    values = (call.context, call.arguments, call.volatiles)
    return call.craft, dump(call.craft, "value given", values)


def check_importable(craft: Craft) -> None:
    """Fail early when ``craft`` cannot be re-imported by name in another process."""
    try:
        pickle.dumps(craft)
    except (pickle.PicklingError, AttributeError, TypeError) as error:
        raise CraftUsageError(
            f"Craft '{craft.fqname}' cannot be sent to a worker process: a worker imports it "
            "by module and name, so define it at the top level of an importable module "
            "(not inside a function), or use runner='threads'"
        ) from error


def dump(craft: Craft, what: str, values: Any) -> bytes:
    """Pickle ``values``; on failure, name the craft and the culprit value's key."""
    try:
        return pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:
        key, value = _culprit(values)
        raise CraftUsageError(
            f"Craft '{craft.fqname}': {what} as '{key}' ({type(value).__name__}) cannot be "
            f"pickled to cross processes ({type(error).__name__}: {error}); make it picklable, "
            "or use runner='threads'"
        ) from error


def _culprit(values: Any) -> tuple[str, Any]:
    mappings = values if isinstance(values, tuple) else (values,)
    for mapping in mappings:
        if not isinstance(mapping, Mapping):
            continue
        for key, value in mapping.items():
            try:
                pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                return key, value
    return "?", values
