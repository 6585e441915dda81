"""Artifact locations as the run history keeps them: relative to the project root.

A local path under the root is stored relative to it (``data/x.csv``, with ``/``) and resolved
against the root of whoever reads it, so that a moved or cloned project keeps its lineage and
its history; remote locations (``s3://…``) and local paths outside the root are kept as given.
Earlier versions stored absolute paths: they are still matched (see :meth:`Locations.matching`)
rather than rewritten, because a shared store may still receive them from those versions.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


class Locations:
    """Translates locations between a run (absolute) and the store (relative to ``root``)."""

    def __init__(self, root: Path | str | None) -> None:
        self.root = str(root) if root is not None else ""
        self._prefix = self.root.rstrip(os.sep) + os.sep if self.root else ""

    def stored(self, location: str) -> str:
        """How ``location`` is kept in the store."""
        if self._prefix and location.startswith(self._prefix):
            relative = location[len(self._prefix) :]
            return relative if os.sep == "/" else relative.replace(os.sep, "/")
        return location

    def resolved(self, stored: str) -> str:
        """The location a stored one names for this root."""
        if not stored or not self.root or "://" in stored or os.path.isabs(stored):
            return stored
        return os.path.join(self.root, *PurePosixPath(stored).parts)

    def matching(self, location: str) -> list[str]:
        """Every form ``location`` may be stored in: relative, and absolute as written by
        earlier versions."""
        stored = self.stored(location)
        return [stored] if stored == location else [stored, location]
