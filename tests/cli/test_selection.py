"""Choosing what `run NAME` runs: a pipeline, or a craft alone, importing only what it needs."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from statisfactory.cli.selection import chosen_pipeline
from statisfactory.errors import DefinitionError, UnknownPipelineError
from statisfactory.pipeline.definitions import PipelineDefinition, PipelinesDefinitions

GOOD = """
from statisfactory import Craft, Volatile


@Craft()
def wanted() -> Volatile("w"):
    return 1


alias = wanted
"""


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two modules on the path: one that imports, one that raises when imported."""
    (tmp_path / "sel_good.py").write_text(GOOD)
    (tmp_path / "sel_broken.py").write_text("raise RuntimeError('not importable')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in ("sel_good", "sel_broken"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    return tmp_path


def session_of(source: Path, **pipelines: tuple[str, ...]) -> SimpleNamespace:
    definitions = {
        name: PipelineDefinition(name, source / "pipelines.yaml", operators, ())
        for name, operators in pipelines.items()
    }
    return SimpleNamespace(pipelines_definitions=PipelinesDefinitions(definitions))


def test_a_craft_name_builds_only_the_pipelines_that_list_it(sources: Path) -> None:
    session = session_of(
        sources, broken=("sel_broken.other",), outer=("inner",), inner=("sel_good.wanted",)
    )
    for name in ("wanted", "sel_good.wanted"):
        chosen = chosen_pipeline(session, name)
        assert [craft.fqname for craft in chosen.crafts] == ["sel_good.wanted"]
        assert chosen.name == "wanted"
    assert "sel_broken" not in sys.modules


def test_a_craft_listed_under_another_name_is_still_found(sources: Path) -> None:
    session = session_of(sources, first=("sel_good.alias",))
    assert [craft.fqname for craft in chosen_pipeline(session, "wanted").crafts] == [
        "sel_good.wanted"
    ]


def test_an_unknown_name_still_names_the_pipelines(sources: Path) -> None:
    with pytest.raises(UnknownPipelineError, match="no craft of these pipelines is called"):
        chosen_pipeline(session_of(sources, first=("sel_good.wanted",)), "nothing")
    with pytest.raises(DefinitionError, match="sel_broken"):  # looked everywhere: it is reported
        chosen_pipeline(session_of(sources, first=("sel_broken.other",)), "nothing")
