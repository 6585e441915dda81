"""The benchmark harness's shared fresh-interpreter helper (benchmarks/_measure.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from _measure import run_snippet


def test_the_last_result_line_is_returned_with_the_arguments_and_folder(tmp_path: Path) -> None:
    code = (
        "import json, os, sys\n"
        "print('RESULT ' + json.dumps({'early': True}))\n"
        "print('noise')\n"
        "print('RESULT ' + json.dumps({'args': sys.argv[1:], 'cwd': os.getcwd()}))\n"
    )
    assert run_snippet(code, 1, "two", cwd=tmp_path) == {
        "args": ["1", "two"],
        "cwd": str(tmp_path),
    }


def test_a_failing_snippet_raises_with_its_error_output() -> None:
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        run_snippet("1 / 0")


def test_a_snippet_without_a_result_line_raises_with_its_output() -> None:
    with pytest.raises(RuntimeError, match=r"no RESULT line:\nhello"):
        run_snippet("print('hello')")
