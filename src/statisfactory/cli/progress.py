"""Follow a pipeline run: live progress on a terminal, log lines otherwise, then a summary.

The monitor listens to the crafts' run hooks (called in the scheduling process by every runner)
and to the catalog's saves. Saves made in worker processes are not seen: for those, the summary
asks the catalog where the artifact lives, with the context the craft ran with.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from statisfactory.cli.output import shown_path
from statisfactory.logger import get_logger

_logger = get_logger("run")
_ACTIVE: list[RunMonitor] = []  # the monitor the class-wide craft hooks report to
_HOOKS_REGISTERED = threading.Event()


@dataclass
class CraftRecord:
    """What happened to one craft during the run."""

    name: str
    outputs: tuple[str, ...]  # artifact names it saves
    status: str = "waiting"  # waiting, running, done, skipped (incremental runs), failed
    started: float | None = None
    finished: float | None = None
    error: str = ""
    written: dict[str, str] = field(default_factory=dict)  # artifact -> location

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started


class RunMonitor:
    """Records each craft's timing and saves while a pipeline runs; shows them as they happen."""

    def __init__(
        self,
        pipeline: Any,
        catalog: Any,
        *,
        root: Path,
        terminal: bool,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        crafts = [craft for batch in pipeline.batches for craft in batch]
        self._crafts = {id(craft): craft for craft in crafts}
        self._params = dict(params or {})
        self.records = {
            id(craft): CraftRecord(
                craft.fqname, tuple(o.name for o in craft.signature.outputs if o.kind == "artifact")
            )
            for craft in crafts
        }
        self._producer = {name: id(c) for c in crafts for name in self.records[id(c)].outputs}
        self._catalog = catalog
        self._root = root
        self._lock = threading.Lock()
        self._display = LiveDisplay(len(crafts)) if terminal else PlainDisplay()
        self.started = time.perf_counter()

    # --- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> RunMonitor:
        _register_hooks_once()
        _ACTIVE.append(self)
        if self._catalog is not None:
            self._catalog.add_save_listener(self.on_save)
        self._display.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._display.stop()
        if self._catalog is not None:
            self._catalog.remove_save_listener(self.on_save)
        _ACTIVE.remove(self)

    @property
    def any_started(self) -> bool:
        return any(record.status != "waiting" for record in self.records.values())

    @property
    def completed(self) -> list[CraftRecord]:
        return [record for record in self.records.values() if record.status == "done"]

    # --- events -------------------------------------------------------------------------------
    def on_start(self, craft: Any) -> None:
        record = self.records.get(id(craft))
        if record is not None:
            record.status, record.started = "running", time.perf_counter()
            self._display.started(record, self.records.values())

    def on_finish(self, craft: Any) -> None:
        record = self.records.get(id(craft))
        if record is not None:
            record.status, record.finished = "done", time.perf_counter()
            self._display.finished(record, self.records.values())

    def on_error(self, craft: Any, error: BaseException) -> None:
        record = self.records.get(id(craft))
        if record is not None:
            record.status, record.finished = "failed", time.perf_counter()
            record.error = f"{type(error).__name__}: {error}"
            self._display.failed(record, self.records.values())

    def on_skip(self, craft: Any, reason: str) -> None:
        record = self.records.get(id(craft))
        if record is not None:
            record.status, record.error = "skipped", reason
            self._display.skipped(record, self.records.values())

    def on_save(self, *, name: str, location: str, **_: Any) -> None:
        producer = self._producer.get(name)
        if producer is not None:
            with self._lock:  # saves arrive from worker threads
                self.records[producer].written[name] = shown_path(location, self._root)

    # --- summary ------------------------------------------------------------------------------
    def summary_rows(self) -> list[tuple[str, str, str, str]]:
        """(craft, status, seconds, artifacts written) for each craft, in execution order."""
        rows = []
        for key, record in self.records.items():
            seconds = f"{record.seconds:.2f}" if record.seconds is not None else ""
            written = []
            if record.status == "done":
                unseen = [name for name in record.outputs if name not in record.written]
                locations = {**record.written, **self._locate(key, unseen)}
                written = [
                    f"{name} -> {where}" if where else name for name, where in locations.items()
                ]
            rows.append((record.name, record.status, seconds, ", ".join(written) or "-"))
        return rows

    def _locate(self, craft_key: int, names: list[str]) -> dict[str, str]:
        """Where a craft's artifacts went when their saves were not seen (worker processes)."""
        if not names or self._catalog is None:
            return {}
        craft = self._crafts[craft_key]
        located = {}
        try:
            context, _ = craft.prepare(self._craft_params(craft))
            for name in names:
                located[name] = shown_path(self._catalog.locate(name, **context), self._root)
        except Exception:  # only a nicer summary is lost: show the names alone
            return {name: located.get(name, "") for name in names}
        return located

    def _craft_params(self, craft: Any) -> dict[str, Any]:
        """The run's shared keys, overridden by the keys namespaced to ``craft``."""
        names = {n for c in self._crafts.values() for n in (c.name, c.fqname)}
        params = {key: value for key, value in self._params.items() if key not in names}
        for key in (craft.name, craft.fqname):  # the qualified name wins
            if isinstance(self._params.get(key), Mapping):
                params.update(self._params[key])
        return params


def _register_hooks_once() -> None:
    """Craft hooks are class-wide and cannot be removed: register them once per process."""
    if _HOOKS_REGISTERED.is_set():
        return
    from statisfactory.pipeline.craft import Craft

    @Craft.hook_pre_run()
    def _started(target: Any) -> None:
        for monitor in _ACTIVE:
            monitor.on_start(target)

    @Craft.hook_post_run()
    def _finished(target: Any) -> None:
        for monitor in _ACTIVE:
            monitor.on_finish(target)

    @Craft.hook_on_error()
    def _failed(target: Any, error: BaseException) -> None:
        for monitor in _ACTIVE:
            monitor.on_error(target, error)

    @Craft.hook_on_skip()
    def _skipped(target: Any, reason: str) -> None:
        for monitor in _ACTIVE:
            monitor.on_skip(target, reason)

    _HOOKS_REGISTERED.set()


# --- displays ---------------------------------------------------------------------------------
class PlainDisplay:
    """One log line per event, for logs and pipes."""

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def started(self, record: CraftRecord, records: Any) -> None:
        _logger.info("craft %s started", record.name)

    def finished(self, record: CraftRecord, records: Any) -> None:
        done = sum(1 for r in records if r.status == "done")
        _logger.info(
            "craft %s done in %.2f s (%d/%d)",
            record.name,
            record.seconds or 0.0,
            done,
            len(records),
        )

    def failed(self, record: CraftRecord, records: Any) -> None:
        _logger.error("craft %s failed: %s", record.name, record.error)

    def skipped(self, record: CraftRecord, records: Any) -> None:
        _logger.info("craft %s skipped: %s", record.name, record.error)


class LiveDisplay:
    """A rich progress bar with the crafts running now; a line per finished craft above it."""

    def __init__(self, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        )
        self._task = self._progress.add_task("starting", total=total)

    def start(self) -> None:
        self._progress.start()

    def stop(self) -> None:
        self._progress.stop()

    def _describe(self, records: Any) -> None:
        running = [r.name.rpartition(".")[2] for r in records if r.status == "running"]
        self._progress.update(
            self._task,
            description=f"running {', '.join(running)}" if running else "waiting",
            completed=sum(1 for r in records if r.status in ("done", "skipped")),
        )

    def started(self, record: CraftRecord, records: Any) -> None:
        self._describe(records)

    def finished(self, record: CraftRecord, records: Any) -> None:
        from rich.text import Text  # Text, not markup: names and errors may hold brackets

        seconds = f" {record.seconds or 0.0:.2f} s"
        self._progress.console.print(Text.assemble(("✓ ", "green"), record.name, (seconds, "dim")))
        self._describe(records)

    def failed(self, record: CraftRecord, records: Any) -> None:
        from rich.text import Text

        self._progress.console.print(
            Text.assemble(("✗ ", "red"), record.name, ": ", (record.error, "red"))
        )
        self._describe(records)

    def skipped(self, record: CraftRecord, records: Any) -> None:
        from rich.text import Text

        self._progress.console.print(Text.assemble(("- ", "dim"), record.name, (" skipped", "dim")))
        self._describe(records)
