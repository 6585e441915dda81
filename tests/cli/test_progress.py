"""The run monitor: what it shows of each craft, without going through every craft each time."""

from __future__ import annotations

import logging
from pathlib import Path

from statisfactory.cli.progress import RunMonitor
from statisfactory.pipeline import Craft, Pipeline, Volatile


@Craft()
def first() -> Volatile("a"):
    return 1


@Craft()
def second(a: Volatile) -> Volatile("b"):
    return a + 1


@Craft()
def third(b: Volatile) -> Volatile("c"):
    return b + 1


class CountedRecords(list):
    """The monitor's records, counting how often all of them are gone through."""

    walks = 0

    def __iter__(self):
        CountedRecords.walks += 1
        return super().__iter__()


def test_each_event_is_shown_from_running_counts_not_by_going_through_every_craft(
    caplog, tmp_path: Path
) -> None:
    monitor = RunMonitor(Pipeline(first, second, third), root=tmp_path, terminal=False)
    monitor.records = CountedRecords(monitor.records)
    with caplog.at_level(logging.INFO, logger="statisfactory"), monitor:
        monitor.on_craft_skip(index=0, reason="unchanged")
        monitor.before_craft(index=0)  # it runs again, for a craft that needs its volatile
        monitor.after_craft(index=0)
        for index in (1, 2):
            monitor.before_craft(index=index)
            monitor.after_craft(index=index)
    assert CountedRecords.walks == 0
    lines = [record.getMessage() for record in caplog.records]
    assert any("second done" in line and "(2/3)" in line for line in lines)
    assert any("third done" in line and "(3/3)" in line for line in lines)
    assert monitor.tally.completed == 3 and not monitor.tally.running


def test_skipped_crafts_are_one_info_summary_line_and_one_debug_line_each(
    caplog, tmp_path: Path
) -> None:
    monitor = RunMonitor(Pipeline(first, second, third), root=tmp_path, terminal=False)
    with caplog.at_level(logging.DEBUG, logger="statisfactory"), monitor:
        monitor.on_craft_skip(index=0, reason="unchanged since run 1")
        monitor.on_craft_skip(index=1, reason="unchanged since run 1")
        monitor.before_craft(index=2)
        monitor.after_craft(index=2)
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert not any("skipped:" in line for line in info)
    assert "2 of 3 craft(s) skipped (-v or --explain for each one's reason)" in info
    assert any("first skipped: unchanged since run 1" in line for line in debug)
    assert any("second skipped: unchanged since run 1" in line for line in debug)


def test_no_skip_summary_when_nothing_was_skipped(caplog, tmp_path: Path) -> None:
    monitor = RunMonitor(Pipeline(first), root=tmp_path, terminal=False)
    with caplog.at_level(logging.INFO, logger="statisfactory"), monitor:
        monitor.before_craft(index=0)
        monitor.after_craft(index=0)
    assert not any("skipped" in r.getMessage() for r in caplog.records)


def test_on_a_terminal_skipped_crafts_are_counted_in_one_line(capsys, tmp_path: Path) -> None:
    monitor = RunMonitor(Pipeline(first, second, third), root=tmp_path, terminal=True)
    with monitor:
        monitor.on_craft_skip(index=0, reason="unchanged since run 1")
        monitor.on_craft_skip(index=1, reason="unchanged since run 1")
        monitor.before_craft(index=2)
        monitor.after_craft(index=2)
    shown = capsys.readouterr().out
    assert "first skipped" not in shown and "second skipped" not in shown
    assert "2 of 3 craft(s) skipped" in shown
    assert "test_progress.third" in shown


def test_a_craft_whose_outputs_were_restored_keeps_its_info_line(caplog, tmp_path: Path) -> None:
    monitor = RunMonitor(Pipeline(first, second), root=tmp_path, terminal=False)
    with caplog.at_level(logging.INFO, logger="statisfactory"), monitor:
        monitor.on_craft_skip(index=0, reason="restored: ran as now in run 1")
        monitor.on_craft_skip(index=1, reason="unchanged since run 1")
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("first skipped: restored: ran as now in run 1" in line for line in info)
    assert not any("second skipped" in line for line in info)
    assert "2 of 2 craft(s) skipped (-v or --explain for each one's reason)" in info
