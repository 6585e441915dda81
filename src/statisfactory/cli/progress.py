"""Follow a pipeline run: live progress on a terminal, log lines otherwise, then a summary.

The monitor is a hook plugin of the run (see :mod:`statisfactory.hookspecs`): the craft hooks
are called in the scheduling process by every runner. Where the artifacts went is asked from
the run once it is over (:meth:`Run.written <statisfactory.pipeline.run.Run.written>`), so that
saves made in worker processes are shown too.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from statisfactory.cli.output import shown_path
from statisfactory.hookspecs import hookimpl
from statisfactory.logger import get_logger
from statisfactory.pipeline.run import CraftStatus

if TYPE_CHECKING:
    from statisfactory.pipeline.pipeline import Pipeline
    from statisfactory.pipeline.run import Run

_logger = get_logger("run")


@dataclass
class CraftRecord:
    """What happened to one craft during the run."""

    name: str
    outputs: tuple[str, ...]  # artifact names it saves
    status: CraftStatus = CraftStatus.WAITING
    started: float | None = None
    finished: float | None = None
    error: str = ""

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started


@dataclass
class Tally:
    """How many crafts are done or skipped, and which run now: kept as the hooks come, so
    that showing one event never goes through every craft (a run may have 100,000)."""

    total: int
    done: int = 0
    skipped: int = 0
    running: dict[int, str] | None = None  # index -> short name, in starting order

    @property
    def completed(self) -> int:
        return self.done + self.skipped


class RunMonitor:
    """Records each craft's timing while a pipeline runs; shows it as it happens."""

    def __init__(self, pipeline: Pipeline, *, root: Path, terminal: bool) -> None:
        crafts = pipeline.plan.crafts  # the order the run indexes them in
        self.records = [CraftRecord(craft.fqname, craft.saves) for craft in crafts]
        self.tally = Tally(len(self.records), running={})
        self._root = root
        self._terminal = terminal
        self._display: PlainDisplay | LiveDisplay = PlainDisplay()
        self.run: Run | None = None
        self.started = time.perf_counter()

    # --- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> RunMonitor:
        self._display = LiveDisplay(len(self.records)) if self._terminal else PlainDisplay()
        self._display.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._display.stop(self.tally)

    @property
    def any_started(self) -> bool:
        return any(record.status is not CraftStatus.WAITING for record in self.records)

    @property
    def completed(self) -> list[CraftRecord]:
        return [record for record in self.records if record.status is CraftStatus.DONE]

    # --- hooks ----------------------------------------------------------------------------------
    @hookimpl
    def before_run(self, run: Run) -> None:
        self.run = run

    @hookimpl
    def before_craft(self, index: int) -> None:
        record = self.records[index]
        if record.status is CraftStatus.SKIPPED:  # it runs again, for a craft that needs it
            self.tally.skipped -= 1
        record.status, record.started = CraftStatus.RUNNING, time.perf_counter()
        self._running(index, record)
        self._display.started(record, self.tally)

    @hookimpl
    def after_craft(self, index: int) -> None:
        record = self.records[index]
        record.status, record.finished = CraftStatus.DONE, time.perf_counter()
        self._stopped(index)
        self.tally.done += 1
        self._display.finished(record, self.tally)

    @hookimpl
    def on_craft_error(self, index: int, error: BaseException) -> None:
        record = self.records[index]
        record.status, record.finished = CraftStatus.FAILED, time.perf_counter()
        record.error = f"{type(error).__name__}: {error}"
        self._stopped(index)
        self._display.failed(record, self.tally)

    @hookimpl
    def on_craft_skip(self, index: int, reason: str) -> None:
        record = self.records[index]
        record.status, record.error = CraftStatus.SKIPPED, reason
        self._stopped(index)
        self.tally.skipped += 1
        self._display.skipped(record, self.tally)

    def _running(self, index: int, record: CraftRecord) -> None:
        assert self.tally.running is not None
        self.tally.running[index] = record.name.rpartition(".")[2]

    def _stopped(self, index: int) -> None:
        assert self.tally.running is not None
        self.tally.running.pop(index, None)

    # --- summary ------------------------------------------------------------------------------
    def summary_rows(self) -> list[tuple[str, str, str, str]]:
        """(craft, status, seconds, artifacts written) for each craft, in execution order."""
        written = self.run.written() if self.run is not None else {}
        rows: list[tuple[str, str, str, str]] = []
        for record in self.records:
            seconds = f"{record.seconds:.2f}" if record.seconds is not None else ""
            shown = []
            if record.status is CraftStatus.DONE:
                for name in record.outputs:
                    where = written.get(name)
                    shown.append(f"{name} -> {shown_path(where, self._root)}" if where else name)
            rows.append((record.name, record.status, seconds, ", ".join(shown) or "-"))
        return rows


# --- displays ---------------------------------------------------------------------------------
def restored(record: CraftRecord) -> bool:
    """Whether a skipped craft had its outputs brought back from an earlier run (the run
    cache's reason starts so): files changed, so it keeps a line of its own."""
    return record.error.startswith("restored")


class PlainDisplay:
    """One log line per craft that runs, for logs and pipes; skipped crafts are counted in one
    line at the end (a no-op rerun may skip 100,000), each one's reason at DEBUG."""

    def start(self) -> None:
        pass

    def stop(self, tally: Tally) -> None:
        if tally.skipped:
            _logger.info(
                "%d of %d craft(s) skipped (-v or --explain for each one's reason)",
                tally.skipped,
                tally.total,
            )

    def started(self, record: CraftRecord, tally: Tally) -> None:
        _logger.info("craft %s started", record.name)

    def finished(self, record: CraftRecord, tally: Tally) -> None:
        _logger.info(
            "craft %s done in %.2f s (%d/%d)",
            record.name,
            record.seconds or 0.0,
            tally.done,
            tally.total,
        )

    def failed(self, record: CraftRecord, tally: Tally) -> None:
        _logger.error("craft %s failed: %s", record.name, record.error)

    def skipped(self, record: CraftRecord, tally: Tally) -> None:
        level = logging.INFO if restored(record) else logging.DEBUG
        _logger.log(level, "craft %s skipped: %s", record.name, record.error)


class LiveDisplay:
    """A rich progress bar with the crafts running now; a line per finished craft above it,
    one for all the skipped crafts at the end."""

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

    def stop(self, tally: Tally) -> None:
        if tally.skipped:
            from rich.text import Text

            self._progress.console.print(
                Text(f"- {tally.skipped} of {tally.total} craft(s) skipped", style="dim")
            )
        self._progress.stop()

    def _describe(self, tally: Tally) -> None:
        running = list((tally.running or {}).values())
        self._progress.update(
            self._task,
            description=f"running {', '.join(running)}" if running else "waiting",
            completed=tally.completed,
        )

    def started(self, record: CraftRecord, tally: Tally) -> None:
        self._describe(tally)

    def finished(self, record: CraftRecord, tally: Tally) -> None:
        from rich.text import Text  # Text, not markup: names and errors may hold brackets

        seconds = f" {record.seconds or 0.0:.2f} s"
        self._progress.console.print(Text.assemble(("✓ ", "green"), record.name, (seconds, "dim")))
        self._describe(tally)

    def failed(self, record: CraftRecord, tally: Tally) -> None:
        from rich.text import Text

        self._progress.console.print(
            Text.assemble(("✗ ", "red"), record.name, ": ", (record.error, "red"))
        )
        self._describe(tally)

    def skipped(self, record: CraftRecord, tally: Tally) -> None:
        if restored(record):
            from rich.text import Text

            line = Text.assemble(("- ", "dim"), record.name, (f" {record.error}", "dim"))
            self._progress.console.print(line)
        self._describe(tally)  # others counted in one line at the end: a rerun may skip 100,000
