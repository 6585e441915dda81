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


NESTED = textwrap.dedent(
    """
    def craft(values, scale=2):
        def inner(value):
            \"\"\"Inner docstring.\"\"\"
            return {"value": value * 1.5, **extra}  # a comment

        global seen
        return [inner(v) for v in values if v is not None]
    """
)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("value * 1.5", "value * 1.25"),  # a constant of a nested function
        ("value * 1.5", "value * 3 / 2"),  # the same value, computed
        ('"value"', '"values"'),
        ("scale=2", "scale=3"),  # a default
        ("**extra", "extra: 0"),  # a `None` key of `{**d}` against a key
        ("global seen", "global seen, other"),
        ("inner(v)", "inner(*v)"),
        ("if v is not None", "if v is None"),
        ("for v in values", "for v in values[1:]"),
    ],
)
def test_any_code_change_changes_the_digest_nested_code_and_constants_included(old, new):
    assert new not in NESTED
    before, after = analysed(NESTED), analysed(NESTED.replace(old, new))
    assert before.definitions["craft"].digest != after.definitions["craft"].digest
    assert before.whole != after.whole


def test_a_nested_docstring_or_comment_does_not_change_the_digest() -> None:
    edited = NESTED.replace('"""Inner docstring."""', '"""Other."""').replace("# a comment", "")
    assert analysed(edited).definitions == analysed(NESTED).definitions


def test_a_huge_module_is_analysed_with_the_collector_back_on_after() -> None:
    import gc

    text = "".join(f"def step_{i}(x):\n    return x + {i}\n\n" for i in range(2_000))
    code = analysed(text)
    assert len(code.definitions) == 2_000 and gc.isenabled()
