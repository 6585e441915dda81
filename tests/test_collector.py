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
