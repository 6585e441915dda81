"""The place in the project's code where a craft's exception was raised."""

from __future__ import annotations

import multiprocessing
import pickle
import runpy
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from statisfactory.pipeline.failure_place import project_frame, remember_place


def _raise_from(tmp_path: Path) -> BaseException:
    module = tmp_path / "user_code.py"
    module.write_text("import json\n\ndef parse():\n    return json.loads('{oops')\n")
    parse = runpy.run_path(str(module))["parse"]
    try:
        parse()
    except ValueError as error:
        return error
    raise AssertionError("parse() did not raise")


def test_the_innermost_frame_outside_installed_code_is_the_users(tmp_path: Path) -> None:
    error = _raise_from(tmp_path)

    file, line, function = project_frame(error)
    assert (Path(file).name, line, function) == ("user_code.py", 4, "parse")


def test_a_remembered_place_survives_pickling_without_its_traceback(tmp_path: Path) -> None:
    error = _raise_from(tmp_path)
    plain = ValueError("no custom pickling")
    plain.__traceback__ = error.__traceback__
    remember_place(plain)

    received = pickle.loads(pickle.dumps(plain))
    received.__traceback__ = None  # as sent by a process pool (tblib, when loaded, keeps it)
    assert project_frame(received)[1:] == (4, "parse")


def test_a_worker_processs_traceback_text_gives_the_place(tmp_path: Path) -> None:
    """A JSONDecodeError pickles without its attributes; the pool's traceback text remains."""
    module = tmp_path / "user_code.py"
    module.write_text("import json\n\ndef parse():\n    return json.loads('{oops')\n")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        failed = pool.submit(_call_parse, str(module))
        error = failed.exception()

    assert project_frame(error)[1:] == (4, "parse")


def _call_parse(path: str) -> object:
    return runpy.run_path(path)["parse"]()
