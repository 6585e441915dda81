"""Where a craft's exception was raised in the project's own code, for a one-line report."""

from __future__ import annotations

import contextlib
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
    outside = (_PACKAGE, *_installed_places())
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        if not frame.filename or frame.filename.startswith("<"):
            continue  # code given as text (python -c, a notebook cell) has no file to name
        path = Path(frame.filename).resolve()
        if not any(path.is_relative_to(place) for place in outside):
            found = (str(path), frame.lineno or 0, frame.name)
    return found
