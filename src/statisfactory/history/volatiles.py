"""The volatile cache: pickled volatiles under ``<root>/.statisfactory/volatiles/``, by digest.

Enabled by the ``volatile_cache: true`` setting or ``p.run(..., volatile_cache=True)``: a craft
that an incremental run reruns then gets the volatiles of skipped crafts from here instead of
running those crafts again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from statisfactory.logger import get_logger

_logger = get_logger("history")

FOLDER = Path(".statisfactory") / "volatiles"
_MISSING = object()


class VolatileCache:
    """Pickles keyed by the digest of their bytes: a key always names the same value."""

    def __init__(self, root: Path) -> None:
        self.folder = Path(root) / FOLDER

    def path(self, digest: str) -> Path:
        return self.folder / f"{digest.replace(':', '-')}.pkl"

    def put(self, digest: str, payload: bytes) -> None:
        """Keep ``payload`` (a pickle whose digest is ``digest``); a failure is only logged."""
        from statisfactory.IO.backends.local import atomic_write

        target = self.path(digest)
        if target.exists():
            return
        try:
            with atomic_write(target) as handle:
                handle.write(payload)
        except OSError as error:
            _logger.warning("volatile cache: cannot write %s (%s)", target, error)

    def get(self, digest: str) -> Any:
        """The value kept under ``digest``, or :data:`MISSING`."""
        import pickle  # only a run with the cache on reads one

        target = self.path(digest)
        try:
            with open(target, "rb") as handle:
                return pickle.load(handle)
        except FileNotFoundError:
            return _MISSING
        except Exception as error:  # a damaged or incompatible pickle: recompute instead
            _logger.warning("volatile cache: cannot read %s (%s); recomputing", target, error)
            return _MISSING


MISSING = _MISSING
