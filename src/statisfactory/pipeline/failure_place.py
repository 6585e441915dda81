"""Where a craft's exception was raised in the project's own code, for a one-line report."""

from __future__ import annotations

import contextlib
import re
import sysconfig
import traceback
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]


def _installed_places() -> tuple[Path, ...]:
    """The standard library and installed packages: not the project's code."""
    paths = sysconfig.get_paths()
    return tuple(
        Path(paths[key]).resolve() for key in ("stdlib", "platstdlib", "purelib", "platlib")
    )


_ATTRIBUTE = "_statisfactory_raised_at"


def remember_place(error: BaseException) -> None:
    """Keep the place in ``error`` itself: pickled to the parent process, its traceback is not."""
    with contextlib.suppress(AttributeError, TypeError):  # an exception with __slots__
        setattr(error, _ATTRIBUTE, project_frame(error))


def project_frame(error: BaseException) -> tuple[str, int, str] | None:
    """``(file, line, function)`` of the innermost frame of ``error``'s traceback that is
    neither Statisfactory's, the standard library's nor an installed package's; None if none.
    In a parent process, the place a worker remembered (:func:`remember_place`)."""
    remembered = getattr(error, _ATTRIBUTE, None)
    if remembered is not None:
        return remembered
    frames = [
        (f.filename, f.lineno or 0, f.name) for f in traceback.extract_tb(error.__traceback__)
    ]
    return _innermost_project_frame(frames) or _innermost_project_frame(_remote_frames(error))


def _remote_frames(error: BaseException) -> list[tuple[str, int, str]]:
    """The frames of the worker's traceback that :mod:`concurrent.futures` sends as text, in
    the ``__cause__`` of an error whose pickling dropped the remembered place."""
    text = str(error.__cause__) if type(error.__cause__).__name__ == "_RemoteTraceback" else ""
    return [(file, int(line), name) for file, line, name in _FRAME_LINE.findall(text)]


_FRAME_LINE = re.compile(r'^\s*File "([^"]+)", line (\d+), in (\S+)', re.MULTILINE)


def _innermost_project_frame(frames: list[tuple[str, int, str]]) -> tuple[str, int, str] | None:
    outside = (_PACKAGE, *_installed_places())
    found = None
    for filename, line, name in frames:
        if not filename or filename.startswith("<"):
            continue  # code given as text (python -c, a notebook cell) has no file to name
        path = Path(filename).resolve()
        if not any(path.is_relative_to(place) for place in outside):
            found = (str(path), line, name)
    return found
