import gc

import pytest

from statisfactory.collector import collector_paused
from statisfactory.project.yaml_loader import load_yaml


def test_the_collector_is_off_in_the_block_and_restored_after_it():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: still off after the inner block
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_restored_when_the_block_raises():
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_parsing_yaml_leaves_the_collector_as_it_was():
    assert load_yaml("a: [1, 2]") == {"a": [1, 2]}
    with pytest.raises(Exception, match="twice"):
        load_yaml("a: 1\na: 2")
    assert gc.isenabled()


UNTIL_EXIT = """
import gc

from statisfactory.collector import frozen_until_exit
from statisfactory.pipeline import Craft, Pipeline, Volatile

finalized = []


class Cycle:
    def __init__(self):
        self.me = self

    def __del__(self):
        finalized.append(True)


Cycle()
frozen_until_exit()
frozen = gc.get_freeze_count()


@Craft()
def one() -> Volatile("one"):
    return 1


Pipeline(one).run()
after_run = gc.get_freeze_count()
made = [[i] for i in range(1000)]  # made after the first call: frozen by the next one
frozen_until_exit()
print(
    finalized == [True],
    frozen > 0,
    after_run > frozen // 2,
    gc.get_freeze_count() >= after_run + 1000,
)
"""


def test_freezing_until_exit_collects_first_and_outlives_the_runs_after_it(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", UNTIL_EXIT], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.stdout.split() == ["True"] * 4, done.stderr


COMMAND_WITH_CHECK = """
import gc, sys
import statisfactory.collector as collector

real, left = collector.frozen_until_exit, []


def checked(generation=2):
    if generation < 2:  # what the young collection would leave in the old generation
        gc.collect(generation)
        left.append(gc.collect())
    real(generation)


collector.frozen_until_exit = checked
from statisfactory.cli.main import main

sys.argv = ["statisfactory", "run", "chain", "--incremental"]
code = 0
try:
    main()  # as the command's own process (argv from sys.argv)
except SystemExit as done:
    code = done.code
print("LEFT", left, "EXIT", code)
"""


def test_a_command_s_young_collection_before_its_run_leaves_no_garbage_behind(tmp_path):
    """The command's run collects the young generations only, after loading the project with
    the collector paused: the old generation must hold no garbage then (what a full pass would
    find, never to be finalized once frozen)."""
    from project_files import python, write_project

    root = write_project(
        tmp_path,
        {
            "lib/chain.py": """
            from statisfactory import Artifact, Craft, Volatile


            @Craft()
            def first(rows: int = 3) -> Artifact("numbers"):
                return "\\\\n".join(map(str, range(rows)))


            @Craft()
            def second(numbers: Artifact) -> Volatile("count"):
                return len(numbers)
            """,
            "catalog/catalog.yaml": "- {name: numbers, type: text, extra: {path: data/n.txt}}\n",
            "pipelines/definitions/chain.yaml": "chain:\n  +operators: [chain.first, chain.second]\n",
        },
    )
    for _ in range(2):  # a first run, then a no-op one
        done = python("-c", COMMAND_WITH_CHECK, cwd=root)
        assert done.stdout.splitlines()[-1] == "LEFT [0] EXIT 0", done.stdout + done.stderr
