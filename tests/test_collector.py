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
