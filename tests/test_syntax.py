"""Every parse of Python text in the package goes through statisfactory.syntax and its lock."""

from __future__ import annotations

import ast
import re
import threading
from pathlib import Path

import statisfactory
from statisfactory import syntax

PACKAGE = Path(statisfactory.__file__).parent
DIRECT = re.compile(r"\bast\.(parse|literal_eval)\(|PyCF_ONLY_AST")


def test_no_module_but_syntax_parses_python_text_itself():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "syntax.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if DIRECT.search(line.split("#", 1)[0])
    ]
    assert offenders == []


def test_literal_eval_reads_literals_and_refuses_code():
    assert syntax.literal_eval("  [1, {'a': (2, None)}]") == [1, {"a": (2, None)}]
    assert syntax.literal_eval(ast.parse("3", mode="eval").body) == 3
    try:
        syntax.literal_eval("__import__('os')")
    except ValueError:
        pass
    else:  # pragma: no cover - a call must never be evaluated
        raise AssertionError("a call was evaluated")


def test_parses_from_many_threads_all_succeed():
    source = "\n".join(f"def f{i}(a, b=[1, {{'x': (2, 3)}}]):\n    return a" for i in range(200))
    failures: list[BaseException] = []

    def work() -> None:
        for _ in range(20):
            try:
                assert len(syntax.parse(source).body) == 200
            except BaseException as error:
                failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
