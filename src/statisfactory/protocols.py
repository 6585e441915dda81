"""The interfaces that cross the package's layers, as :class:`typing.Protocol` classes.

A layer that uses a collaborator of a higher (or sibling) layer types it with one of these
instead of importing the concrete class: the pipeline and its runners see a :class:`CatalogLike`
and :class:`Future` objects, the fingerprints and the incremental policy a
:class:`HistoryStoreLike`. Each protocol lists only what its users call; the concrete classes
(``IO.catalog.Catalog``, ``concurrent.futures.Future``, ``history.store.HistoryStore``) satisfy
them structurally, and so may a plugin's or a test's own object.

This module is the bottom layer: it imports nothing of the package. The protocols are runtime
checkable, so that a test can tell that the concrete classes still have every listed member.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable


@runtime_checkable
class CatalogLike(Protocol):
    """The artifacts a pipeline loads and saves (``statisfactory.IO.catalog.Catalog``)."""

    @property
    def root(self) -> Path:
        """The folder relative local locations start from."""
        ...

    def __contains__(self, name: object, /) -> bool: ...

    def __getitem__(self, name: str, /) -> object:
        """The declared entry of artifact ``name``; an error suggesting close names if none."""
        ...

    def load(self, name: str = ..., /, **context: Any) -> Any:
        """The value of artifact ``name`` with ``context`` filling its ``!{}`` markers."""
        ...

    def save(self, name: str = ..., asset: Any = ..., /, **context: Any) -> None:
        """Store ``asset`` as artifact ``name``."""
        ...

    def exists(self, name: str = ..., /, **context: Any) -> bool:
        """Whether something is stored for artifact ``name``."""
        ...

    def locate(self, name: str = ..., /, **context: Any) -> str:
        """Where artifact ``name`` lives once interpolated: an absolute path or a URL."""
        ...

    def check_context(self, name: str, /, **context: Any) -> None:
        """Raise now when the entry refuses a ``!{}`` value of ``context``."""
        ...

    def variables(self, name: str) -> set[str]:
        """The ``!{var}`` names artifact ``name``'s entry uses."""
        ...

    def check_type(self, name: str) -> None:
        """Raise when artifact ``name``'s type is unknown."""
        ...


@runtime_checkable
class Future(Protocol):
    """A started craft call, as a runner's strategy returns it: a pool's future, a Dask future
    wrapped, or a call already run where it was submitted."""

    def add_done_callback(self, callback: Callable[[Self], object], /) -> None:
        """Call ``callback(self)`` once the call is done (at once when it already is)."""
        ...

    def result(self) -> Any:
        """The call's return value; raises what the call raised."""
        ...


@runtime_checkable
class DigestStore(Protocol):
    """Where digests are remembered by path, size and modification time (local files also by
    inode and change time), so that an unchanged file is not read again (the run history
    store)."""

    def known_digest(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The digest remembered for this version of ``path``, if any."""
        ...

    def file_digests(self) -> dict[str, tuple[int, int, int, int, str]]:
        """Every remembered local file digest, by path: ``(size, mtime_ns, inode, ctime_ns,
        digest)``."""
        ...

    def remember_digest(
        self,
        path: str,
        size: int,
        mtime_ns: int,
        digest: str,
        *,
        inode: int | None = None,
        ctime_ns: int | None = None,
    ) -> None:
        """Remember ``digest`` for this version of ``path``."""
        ...


@runtime_checkable
class HistoryStoreLike(DigestStore, Protocol):
    """The run history as the incremental policy and the run's recorder use it
    (``statisfactory.history.store.HistoryStore``)."""

    @property
    def enabled(self) -> bool:
        """False when no history is kept (or in a forked child): nothing is recorded."""
        ...

    @property
    def broken(self) -> bool:
        """True when the history is on but its store could not be opened."""
        ...

    @property
    def description(self) -> str:
        """Where the history lives, for messages."""
        ...

    def take_created(self) -> bool:
        """Whether the store was just created (answered True once)."""
        ...

    def flush(self, timeout: float = ..., *, patience: float | None = ...) -> bool:
        """Wait until every queued write is done; False when it took too long."""
        ...

    def states(self, crafts: Sequence[str]) -> list[dict[str, Any]]:
        """The recorded states of the crafts named ``crafts`` (their full names)."""
        ...

    def code_parts(self, craft: str, state_key: str) -> str | None:
        """The JSON of what a recorded state's code fingerprint covered."""
        ...

    def begin_run(self, run: Mapping[str, Any]) -> None:
        """Record that a run started."""
        ...

    def end_run(
        self,
        run_id: str,
        *,
        status: str,
        ended: float,
        error: str = ...,
        details: Callable[[], Mapping[str, Any]] | None = ...,
    ) -> None:
        """Record how a run ended; ``details()`` is computed later, by the writer."""
        ...

    def add_crafts(
        self,
        rows: Callable[
            [Callable[[str], str]], tuple[Sequence[tuple[Any, ...]], Sequence[tuple[Any, ...]]]
        ],
    ) -> None:
        """Record craft executions and states; ``rows(stored)`` is called by the writer."""
        ...

    def add_write(self, row: Mapping[str, Any]) -> None:
        """Record one artifact write."""
        ...

    def successful_executions(
        self, craft: str, state_key: str, code_fp: str
    ) -> list[dict[str, Any]]:
        """Every execution of ``craft`` that ran with these parameters and code, newest first."""
        ...

    def version_written(self, name: str, fingerprint: str) -> str | None:
        """The version of artifact ``name`` a recorded write with ``fingerprint`` stored."""
        ...

    def record_metrics(
        self, run_id: str, metrics: Mapping[str, float], artifact: str | None
    ) -> None:
        """Record a run's named numbers, from ``artifact``."""
        ...
