"""The analysis of one module: normalised digests, what each definition loads, and the code
that makes a module count whole."""

from __future__ import annotations

import textwrap

import pytest

from statisfactory.history.code_analysis import analyse

BASE = textwrap.dedent(
    """
    import numpy as np
    from .tools import helper


    def craft(values):
        \"\"\"Docstring.\"\"\"
        return helper(np.mean(values)) + LIMIT


    LIMIT = 3
    """
)


def analysed(text: str):
    return analyse(text, "module.py", "pkg")


def test_a_definition_loads_its_names_and_chains_and_relative_imports_resolve() -> None:
    code = analysed(BASE)
    craft = code.definitions["craft"]
    assert {"helper", "LIMIT"} <= set(craft.names) and "np" not in craft.names
    assert ("np", "mean") in craft.chains
    assert code.imports["helper"] == (("pkg.tools", "helper"),)
    assert code.dynamic == "" and code.preamble == ""


def test_comments_docstrings_and_layout_do_not_change_digests() -> None:
    edited = BASE.replace('"""Docstring."""', '"""Another one."""\n    # a comment')
    edited = edited.replace(
        "helper(np.mean(values)) + LIMIT", "(helper( np.mean(values) )\n + LIMIT)"
    )
    assert analysed(edited).definitions == analysed(BASE).definitions
    assert analysed(edited).whole == analysed(BASE).whole


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("value = getattr(np, name)", "getattr"),
        ("exec(text)", "exec"),
        ("module = importlib.import_module(name)", "import_module"),
        ("names = globals()", "globals"),
        ("from .tools import *", "import *"),
    ],
)
def test_code_the_analysis_cannot_follow_makes_the_module_count_whole(line, reason) -> None:
    code = analysed(BASE + f"\n\ndef dynamic(name, text):\n    {line}\n")
    assert reason in code.dynamic


def test_a_constant_getattr_is_followed_and_import_time_statements_are_kept() -> None:
    code = analysed(BASE + "\n\nnp.random.seed(0)\nVALUE = getattr(np, 'pi')\n")
    assert code.dynamic == "" and code.preamble


def test_text_that_is_not_python_is_a_syntax_error() -> None:
    with pytest.raises(SyntaxError):
        analysed("def broken(:\n")
