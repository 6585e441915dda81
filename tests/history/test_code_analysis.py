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


# A long module is parsed a slice at a time; cuts fall before a definition at column 0 after a
# blank line, also where the text there is not a statement's start (the fallback parses whole).
SLICED = textwrap.dedent(
    '''
    """The module's docstring."""
    import numpy as np

    try:
        import scipy
    except ImportError:
        scipy = None

    if np:
        LIMIT = 3

    else:
        LIMIT = 4

    @Craft(
        "decorated"
    )
    def decorated(values):
        return np.mean(values) + LIMIT


    class Holder:
        value = 1


    async def later():
        return LIMIT


    def last(values):
        return [v for v in values]
    '''
)
# Cut inside a string: that slice is not whole Python, the module is parsed whole.
UNCUTTABLE = SLICED + '\nTEXT = """\ndef not_a_definition(x):\n\ndef still_text():\n"""\n'


@pytest.fixture(params=[1, 40, 10_000_000], ids=["every-cut", "some-cuts", "whole"])
def parses(request, monkeypatch) -> list[int]:
    """The length of each text parsed by the analysis, with slices of ``param`` characters."""
    import statisfactory.history.code_analysis as code_analysis

    monkeypatch.setattr(code_analysis, "SLICE_CHARS", request.param)
    lengths: list[int] = []
    real = code_analysis.syntax.parse

    def parse(text: str, *args: object, **kwargs: object):
        lengths.append(len(text))
        return real(text, *args, **kwargs)

    monkeypatch.setattr(code_analysis.syntax, "parse", parse)
    return lengths


@pytest.mark.parametrize("text", [SLICED, UNCUTTABLE], ids=["sliced", "parsed-whole"])
def test_a_module_parsed_in_slices_is_analysed_as_if_parsed_whole(parses, text) -> None:
    import statisfactory.history.code_analysis as code_analysis
    from statisfactory import syntax

    code = analysed(text)
    if text is SLICED:  # the slices are the whole text, cut in pieces
        assert sum(parses) == len(text) and (len(parses) > 2) == (code_analysis.SLICE_CHARS < 50)
    else:
        assert parses[-1] == len(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(code_analysis, "SLICE_CHARS", 10_000_000)
        assert code == analysed(text)
    assert code == code_analysis._analysed_tree(syntax.parse(text).body, "pkg")
    assert {"decorated", "Holder", "later", "last", "LIMIT", "scipy"} <= set(code.definitions)


def test_a_syntax_error_in_a_late_slice_names_its_true_line(parses) -> None:
    text = SLICED + "\n\ndef broken(:\n    pass\n"
    with pytest.raises(SyntaxError) as raised:
        analysed(text)
    assert raised.value.lineno == text.splitlines().index("def broken(:") + 1


def test_a_module_that_is_only_a_docstring_or_empty_is_analysed_as_before() -> None:
    from statisfactory.history.digests import bytes_digest

    assert analysed('"""Only this."""\n') == analysed("pass\n")
    assert analysed("").whole == bytes_digest(b"") and analysed("# nothing\n").preamble == ""


def test_a_long_module_never_has_its_whole_tree_in_memory(monkeypatch) -> None:
    import tracemalloc

    from statisfactory.history.store import _open_stores

    monkeypatch.setattr("statisfactory.history.code_analysis.SLICE_CHARS", 10_000)  # ~8 slices

    text = "".join(
        f'\n\n@Craft()\ndef step_{i}(v{i}: Volatile) -> Volatile("w{i}"):\n    return v{i} + 1\n'
        for i in range(1_000)
    )
    # The peak counts every thread's allocations: earlier tests' history writers are let
    # finish what they were given first.
    for store in list(_open_stores):
        store.flush()
    tracemalloc.start()
    try:
        syntax_tree = ast_parse(text)
        whole = tracemalloc.get_traced_memory()[1]
        del syntax_tree
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        code = analysed(text)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert len(code.definitions) == 1_000
    assert peak < whole / 2, (peak, whole)


def ast_parse(text: str):
    from statisfactory import syntax

    return syntax.parse(text)


LOCALS = textwrap.dedent(
    """
    from statisfactory import Artifact, Craft


    @Craft()
    def craft(scale: Artifact, *rest, total=LIMIT, **options) -> Artifact("scaled"):
        model = fit(scale)
        shared = [helper(v) for v in rest]
        return model.predict(options) + total + shared[0]


    def reads_the_module_own(limit):
        def inner():
            global limit
            return limit

        return inner()


    def rebinds_in_a_nested_scope(value):
        class Inner:
            value = value

        return value


    def by_default(value=(value := 2)):
        return value
    """
)


def test_a_functions_parameters_and_locals_are_not_names_it_loads_from_its_module() -> None:
    code = analysed(LOCALS)
    craft = code.definitions["craft"]
    # `v` is the comprehension's own: kept, as the analysis does not tell a load of it
    # inside the comprehension from one after it, which would reach the module's `v`.
    assert set(craft.names) == {"Craft", "Artifact", "LIMIT", "fit", "helper", "v"}
    assert craft.chains == ()  # `model.predict` is the local's attribute
    # Where a load may still reach the module's name, it is kept.
    assert "limit" in code.definitions["reads_the_module_own"].names
    assert "value" in code.definitions["rebinds_in_a_nested_scope"].names
    assert "value" in code.definitions["by_default"].names


RECORDED = textwrap.dedent(
    '''
    import numpy as np
    from .tools import helper as h


    @h.wrap(level=-1)
    def craft(values, *rest, scale: float = 2.5, **options) -> "Volatile":
        """Docstring."""
        total = 0
        for value in values:
            if not value and value is not None or value in (1, 2j, b"x", ...):
                total += np.linalg.norm(value) ** 2 // 3 % 4 << 1 >> 1 | 2 & 3 ^ ~4
            del value
        squares = [v * v for v in values if v > 0 >= -v != 1 <= 2 < 3]
        return {k: f"{total!r:>10}" for k in squares}, lambda x=LIMIT: x @ x


    class Model(Base, metaclass=Meta):
        size: int = 3

        async def fit(self, *, data):
            global LIMIT
            async with data as d:
                yield await d[1:2, ::3]


    LIMIT = 3
    '''
)


def test_digests_are_those_earlier_versions_recorded() -> None:
    """Histories hold these digests: a change in how code is serialised would make every
    recorded craft's code differ, and rerun it, after an upgrade (contexts, operators,
    constants, comprehensions, f-strings, async code and classes below)."""
    code = analysed(RECORDED)
    assert code.whole == "xxh3:70847424c75933595d85757e51a3a6e0"
    assert {name: d.digest for name, d in code.definitions.items()} == {
        "craft": "xxh3:ee903ee2f318c805924509342d4750b9",
        "Model": "xxh3:49cad1307ae38ddd9bb25c3e16e7bb78",
        "LIMIT": "xxh3:28c7b9b0095a3783bd55e87d556af28a",
    }
