"""Code fingerprints follow what a craft reaches across the project's modules: real edits on a
real project, each followed by an incremental run in a fresh process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from project_files import snippet_result

DEEP = """
    def base_value(value):
        return value + 1


    def unrelated_deep():
        return 0
"""

FEATURES = """
    from shop import consts
    from shop.deep import base_value


    def scale(values):
        \"\"\"Scaled values.\"\"\"
        return [base_value(value) * consts.RATE for value in values]


    def unrelated():
        return 0


    def tagged(function):
        return function


    class Base:
        OFFSET = 0
"""

STEPS = """
    import shop.features as features
    from shop.features import Base, tagged
    from statisfactory import Artifact, Craft


    def local_unused():
        return 1


    def optional():
        from shop.broken import thing

        return thing


    class Model(Base):
        def fit(self, value):
            return value + self.OFFSET


    @Craft()
    def scaled(source: Artifact) -> Artifact("scaled"):
        return features.scale(source)


    @Craft()
    def fitted(source: Artifact) -> Artifact("fitted"):
        return [Model().fit(value) for value in source]


    @Craft()
    @tagged
    def marked(source: Artifact) -> Artifact("marked"):
        return list(source)


    @Craft()
    def plain(source: Artifact) -> Artifact("plain"):
        if not source:
            return optional()
        return len(source)
"""

STARRY = """
    from shop.deep import *
    from statisfactory import Artifact, Craft


    @Craft()
    def starred(source: Artifact) -> Artifact("starred"):
        return [base_value(value) for value in source]
"""

CRAFTS = ("scaled", "fitted", "marked", "plain", "starred")
PROJECT = {
    "lib/shop/__init__.py": "",
    "lib/shop/consts.py": "RATE = 2\n",
    "lib/shop/deep.py": DEEP,
    "lib/shop/features.py": FEATURES,
    "lib/shop/steps.py": STEPS,
    "lib/shop/starry.py": STARRY,
    "lib/shop/broken.py": "thing = 1\n",
    "catalog/catalog.yaml": "\n".join(
        ["- {name: source, type: json, extra: {path: data/source.json}}"]
        + [f"- {{name: {n}, type: json, extra: {{path: data/{n}.json}}}}" for n in CRAFTS]
    ),
    "pipelines/definitions/pipelines.yaml": """
        shop:
          +operators: [shop.steps.scaled, shop.steps.fitted, shop.steps.marked,
                       shop.steps.plain, shop.starry.starred]
    """,
    "data/source.json": "[1, 2, 3]",
}

RUN = """
import json, sys
from statisfactory import Session
from statisfactory.history.store import store_for

session = Session(root_folder=sys.argv[1])
with session:
    session.pipelines_definitions["shop"].run({}, incremental=True)
store = store_for(session)
store.flush()
(last,) = store.find_runs("last")
print(json.dumps({e["craft"].rsplit(".", 1)[1]: [e["status"], e["reason"]]
                  for e in store.executions(last["run_id"])}))
"""


def run(root: Path, **env: str) -> dict[str, list[str]]:
    """Run the pipeline incrementally in a fresh process: ``{craft: [status, reason]}``."""
    return snippet_result(RUN, str(root), cwd=root, env=env)


def ran(root: Path, **env: str) -> set[str]:
    return {craft for craft, (status, _) in run(root, **env).items() if status == "ran"}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


@pytest.fixture
def shop(project_factory) -> Path:
    root = project_factory(PROJECT)
    assert ran(root) == set(CRAFTS)
    assert ran(root) == set()
    return root


def test_a_helper_two_modules_away_reruns_exactly_the_craft_reaching_it(shop) -> None:
    edit(shop / "lib/shop/deep.py", "return value + 1", "return value + 2")
    statuses = run(shop)
    assert {c for c, (s, _) in statuses.items() if s == "ran"} == {"scaled", "starred"}
    assert "helper `deep.base_value` (lib/shop/deep.py) changed" in statuses["scaled"][1]


def test_a_constant_in_another_module_reruns_the_craft_using_it(shop) -> None:
    (shop / "lib/shop/consts.py").write_text("RATE = 3\n")
    statuses = run(shop)
    assert {c for c, (s, _) in statuses.items() if s == "ran"} == {"scaled"}
    assert "helper `consts.RATE` (lib/shop/consts.py) changed" in statuses["scaled"][1]


def test_a_decorator_and_a_base_class_are_followed(shop) -> None:
    edit(shop / "lib/shop/features.py", "return function", "function.tag = 1\n    return function")
    assert ran(shop) == {"marked"}
    edit(shop / "lib/shop/features.py", "OFFSET = 0", "OFFSET = 0\n    SCALE = 1")
    assert ran(shop) == {"fitted"}


def test_comments_docstrings_and_formatting_rerun_nothing(shop) -> None:
    features = shop / "lib/shop/features.py"
    edit(features, '"""Scaled values."""', '"""Scaled values, as documented at length."""')
    edit(features, "def unrelated():", "# a comment\n\n\ndef unrelated():")
    edit(
        features,
        "[base_value(value) * consts.RATE for value in values]",
        "[\n        base_value(value)  *  consts.RATE\n        for value in values\n    ]",
    )
    edit(shop / "lib/shop/steps.py", "class Model(Base):", "class Model(Base):  # noqa")
    assert ran(shop) == set()


def test_an_unrelated_edit_or_rename_in_a_reached_module_reruns_nothing(shop) -> None:
    edit(shop / "lib/shop/steps.py", "def local_unused():", "def renamed_unused():")
    edit(
        shop / "lib/shop/features.py",
        "def unrelated():\n    return 0",
        "def other():\n    return 5",
    )
    assert ran(shop) == set()


def test_a_star_import_counts_the_whole_imported_module(shop) -> None:
    edit(
        shop / "lib/shop/deep.py",
        "def unrelated_deep():\n    return 0",
        "def unrelated_deep():\n    return 1",
    )
    statuses = run(shop)
    assert {c for c, (s, _) in statuses.items() if s == "ran"} == {"starred"}
    assert "module lib/shop/deep.py (followed whole) changed" in statuses["starred"][1]


def test_a_reached_module_that_cannot_be_parsed_reruns_its_craft_every_time(shop) -> None:
    (shop / "lib/shop/broken.py").write_text("thing = (\n")
    for _ in range(2):
        statuses = run(shop)
        assert {c for c, (s, _) in statuses.items() if s == "ran"} == {"plain"}
        assert "lib/shop/broken.py cannot be parsed" in statuses["plain"][1]
        assert "always runs" in statuses["plain"][1]


def test_a_moved_project_keeps_skipping(shop, tmp_path) -> None:
    moved = tmp_path / "elsewhere" / "shop"
    moved.parent.mkdir()
    shutil.move(shop, moved)
    assert ran(moved) == set()


PACKAGE = """
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "tinypkg-s11"
version = "{version}"

[tool.setuptools]
py-modules = ["tinypkg_s11"]
"""

USES_PACKAGE = """
    import tinypkg_s11
    from statisfactory import Artifact, Craft


    @Craft()
    def packaged(source: Artifact) -> Artifact("packaged"):
        return [tinypkg_s11.FACTOR * value for value in source]
"""


def wheel(tmp_path: Path, version: str) -> Path:
    """A wheel of the tiny package at ``version``, built with pip from a temporary project."""
    source = tmp_path / f"tinypkg-{version}"
    source.mkdir()
    (source / "pyproject.toml").write_text(PACKAGE.format(version=version))
    (source / "tinypkg_s11.py").write_text("FACTOR = 2\n")
    built = tmp_path / "wheels"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps"]
    command += ["-q", "-w", str(built), str(source)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return next(built.glob(f"tinypkg_s11-{version}-*.whl"))


def install(wheel_file: Path, target: Path) -> None:
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--upgrade"]
    command += ["--target", str(target), str(wheel_file)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def test_upgrading_an_imported_package_reruns_the_crafts_importing_it(
    project_factory, tmp_path
) -> None:
    files = {**PROJECT, "lib/shop/packaged.py": USES_PACKAGE}
    files["catalog/more.yaml"] = "- {name: packaged, type: json, extra: {path: data/p.json}}\n"
    files["pipelines/definitions/pipelines.yaml"] = """
        shop:
          +operators: [shop.steps.plain, shop.packaged.packaged]
    """
    root = project_factory(files)
    first, second = wheel(tmp_path, "1.0.0"), wheel(tmp_path, "1.1.0")
    target = tmp_path / "site"
    install(first, target)
    env = {"PYTHONPATH": str(target)}
    assert ran(root, **env) == {"plain", "packaged"}
    assert ran(root, **env) == set()

    shutil.rmtree(target)
    install(second, target)
    statuses = run(root, **env)
    assert {c for c, (s, _) in statuses.items() if s == "ran"} == {"packaged"}
    assert "tinypkg-s11 1.0.0 → 1.1.0" in statuses["packaged"][1]


def test_the_environment_can_be_left_out_of_the_fingerprint(project_factory, tmp_path) -> None:
    files = {**PROJECT, "lib/shop/packaged.py": USES_PACKAGE}
    files["catalog/more.yaml"] = "- {name: packaged, type: json, extra: {path: data/p.json}}\n"
    files["conf/globals.yaml"] = "incremental_environment: false\n"
    files["pipelines/definitions/pipelines.yaml"] = """
        shop:
          +operators: [shop.packaged.packaged]
    """
    root = project_factory(files)
    target = tmp_path / "site"
    install(wheel(tmp_path, "1.0.0"), target)
    env = {"PYTHONPATH": str(target)}
    assert ran(root, **env) == {"packaged"}
    shutil.rmtree(target)
    install(wheel(tmp_path, "2.0.0"), target)
    assert ran(root, **env) == set()


COUNT_ANALYSES = """
import json, sys
import statisfactory.history.code as code
from statisfactory import Session
from statisfactory.history.store import store_for

parsed = []
analyse = code.analyse
code.analyse = lambda text, filename, package: parsed.append(filename) or analyse(
    text, filename, package
)
session = Session(root_folder=sys.argv[1])
with session:
    session.pipelines_definitions["shop"].run({}, incremental=True)
store_for(session).flush()
print(json.dumps(sorted(parsed)))
"""


def parsed_modules(root: Path) -> list[str]:
    """The files a fresh process's incremental run parsed (its analyses not remembered)."""
    return [Path(name).name for name in snippet_result(COUNT_ANALYSES, str(root), cwd=root)]


def young(path: Path) -> os.stat_result:
    """Give ``path`` a modification time in the near future: it stays "just changed" (it may
    change again within the same time) for the whole test."""
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 60 * 10**9))
    return path.stat()


def test_a_module_just_changed_is_not_parsed_again_while_its_text_is_the_same(shop) -> None:
    young(shop / "lib/shop/features.py")
    assert "features.py" in parsed_modules(shop)
    assert "features.py" not in parsed_modules(shop)


def test_a_module_rewritten_within_its_modification_time_reruns_its_crafts(shop) -> None:
    features = shop / "lib/shop/features.py"
    before = young(features)
    assert ran(shop) == set()
    edit(features, "* consts.RATE", "/ consts.RATE")  # same size
    os.utime(features, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert features.stat().st_size == before.st_size
    assert ran(shop) == {"scaled"}


# Crafts loading the same names share what those names reach within a run: each must still
# count its own body, and what a same-named helper of another module reaches is not theirs.
SHARING = {
    "lib/kit/__init__.py": "",
    "lib/kit/left.py": "def helper(value):\n    return value + 1\n",
    "lib/kit/right.py": "def helper(value):\n    return value + 1\n",
    "lib/kit/uses_left.py": """
        from kit.left import helper
        from statisfactory import Artifact, Craft


        @Craft()
        def one(source: Artifact) -> Artifact("one"):
            return [helper(value) for value in source]


        @Craft()
        def two(source: Artifact) -> Artifact("two"):
            return [helper(value) * 2 for value in source]


        @Craft()
        def alone(source: Artifact) -> Artifact("alone"):
            return list(source)
    """,
    "lib/kit/uses_right.py": """
        from kit.right import helper
        from statisfactory import Artifact, Craft


        @Craft()
        def three(source: Artifact) -> Artifact("three"):
            return [helper(value) for value in source]
    """,
    "catalog/catalog.yaml": "\n".join(
        ["- {name: source, type: json, extra: {path: data/source.json}}"]
        + [
            f"- {{name: {n}, type: json, extra: {{path: data/{n}.json}}}}"
            for n in ("one", "two", "alone", "three")
        ]
    ),
    "pipelines/definitions/pipelines.yaml": """
        shop:
          +operators: [kit.uses_left.one, kit.uses_left.two, kit.uses_left.alone,
                       kit.uses_right.three]
    """,
    "data/source.json": "[1, 2, 3]",
}


@pytest.fixture
def kit(project_factory) -> Path:
    root = project_factory(SHARING)
    assert ran(root) == {"one", "two", "alone", "three"}
    assert ran(root) == set()
    return root


def test_crafts_sharing_a_helper_rerun_together_and_only_they(kit) -> None:
    edit(kit / "lib/kit/left.py", "return value + 1", "return value + 3")
    assert ran(kit) == {"one", "two"}
    assert ran(kit) == set()


def test_a_same_named_helper_of_another_module_is_told_apart(kit) -> None:
    edit(kit / "lib/kit/right.py", "return value + 1", "return value + 3")
    assert ran(kit) == {"three"}


def test_crafts_sharing_what_they_reach_each_count_their_own_body(kit) -> None:
    edit(kit / "lib/kit/uses_left.py", "helper(value) * 2", "helper(value) * 4")
    assert ran(kit) == {"two"}
    edit(kit / "lib/kit/uses_left.py", "return list(source)", "return sorted(source)")
    assert ran(kit) == {"alone"}


# A craft's parameters and locals are its own: a module-level name of the same spelling is
# not what the craft reaches.
SHADOWED = {
    "lib/shade/__init__.py": "",
    "lib/shade/steps.py": """
        from statisfactory import Artifact, Craft


        def source():
            return 1


        def total():
            return 1


        @Craft()
        def counted(source: Artifact) -> Artifact("counted"):
            total = len(source)
            return [total]
    """,
    "catalog/catalog.yaml": """
        - {name: source, type: json, extra: {path: data/source.json}}
        - {name: counted, type: json, extra: {path: data/counted.json}}
    """,
    "pipelines/definitions/pipelines.yaml": "shop:\n  +operators: [shade.steps.counted]\n",
    "data/source.json": "[1, 2, 3]",
}


def test_a_module_name_spelled_like_a_crafts_parameter_or_local_is_not_reached(
    project_factory,
) -> None:
    root = project_factory(SHADOWED)
    assert ran(root) == {"counted"}
    steps = root / "lib/shade/steps.py"
    edit(steps, "def source():\n    return 1", "def source():\n    return 2")
    edit(steps, "def total():\n    return 1", "def total():\n    return 2")
    assert ran(root) == set()
    edit(steps, "return [total]", "return [total, 0]")
    assert ran(root) == {"counted"}
