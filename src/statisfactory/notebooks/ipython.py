"""The IPython extension: ``%load_ext statisfactory`` in a notebook of the project.

It defines ``session`` (the project found from the notebook's folder) and makes it the active
session, so crafts and pipelines run without ``with session:``. ``%reload_statisfactory``
builds it again (after editing the catalog, the settings or the parameter sets);
``%reload_statisfactory path/to/project`` switches to another project.
"""

from __future__ import annotations

import contextlib
from typing import Any

from statisfactory import scope
from statisfactory.errors import NoActiveSessionError

_ACTIVE: dict[int, Any] = {}  # id(shell) -> the session the extension made active there


def load_ipython_extension(ipython: Any) -> None:
    """Called by ``%load_ext statisfactory``: define ``session`` and ``%reload_statisfactory``."""
    _activate(ipython, root_folder=None)

    def reload_statisfactory(line: str = "") -> None:
        """Rebuild ``session`` (optionally for the project at the given path)."""
        _activate(ipython, root_folder=line.strip() or None)

    ipython.register_magic_function(
        reload_statisfactory, magic_kind="line", magic_name="reload_statisfactory"
    )


def unload_ipython_extension(ipython: Any) -> None:
    """Called by ``%unload_ext statisfactory``: the session stops being the active one."""
    _deactivate(ipython)


def _activate(ipython: Any, root_folder: str | None) -> Any:
    from IPython.core.error import UsageError

    from statisfactory.errors import StatisfactoryError
    from statisfactory.session import Session

    if root_folder is None and id(ipython) in _ACTIVE:
        root_folder = str(_ACTIVE[id(ipython)].root)  # a reload keeps the same project
    try:
        session = Session(root_folder=root_folder)  # built first: on error the old one stays
    except StatisfactoryError as error:
        # IPython shows a UsageError as its message alone, as the command line does.
        raise UsageError(str(error)) from error
    _deactivate(ipython)
    scope.push_session(session)
    _ACTIVE[id(ipython)] = session
    ipython.push({"session": session})
    print(
        f"statisfactory: `session` is the project {session.config.project_slug} at {session.root}"
    )
    return session


def _deactivate(ipython: Any) -> None:
    previous = _ACTIVE.pop(id(ipython), None)
    if previous is not None:
        # The user's own code may already have left it: then there is nothing to undo.
        with contextlib.suppress(NoActiveSessionError):
            scope.pop_session(previous)
