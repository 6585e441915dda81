"""Reading [tool.statisfactory]: discovery, validation and the errors a user sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from statisfactory.errors import ConfigurationError, ProjectNotFoundError
from statisfactory.project.pyproject import find_root, read_project_config


def test_root_is_found_from_a_nested_folder(project_factory, monkeypatch):
    root = project_factory()
    nested = root / "lib" / "deep" / "er"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    assert find_root() == root.resolve()


def test_a_pyproject_without_the_table_is_skipped_while_searching(project_factory, monkeypatch):
    root = project_factory()
    inner = root / "vendored"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "other"\n')
    monkeypatch.chdir(inner)
    assert find_root() == root.resolve()


def test_no_project_anywhere_up_the_tree(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProjectNotFoundError) as caught:
        find_root()
    message = str(caught.value)
    assert "[tool.statisfactory]" in message
    assert str(tmp_path / "pyproject.toml") in message


def test_paths_resolve_against_the_root_with_defaults(project_factory, monkeypatch, tmp_path):
    root = project_factory()
    monkeypatch.chdir(tmp_path)  # never against the current directory
    config = read_project_config(root)
    assert config.project_slug == "demo"
    assert config.catalog == (root / "catalog").resolve()
    assert config.sources == (root / "lib").resolve()
    assert config.notebook_sources == (root / "scripts").resolve()
    assert config.notebook_target == "jupyter"
    assert config.session_factory is None


def _write(root: Path, table: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(table)
    return root


def test_missing_table(tmp_path):
    _write(tmp_path, '[project]\nname = "x"\n')
    with pytest.raises(ProjectNotFoundError, match=r"no \[tool.statisfactory\] table"):
        read_project_config(tmp_path)


def test_missing_required_key_names_key_and_file(tmp_path):
    _write(tmp_path, '[tool.statisfactory]\nproject_slug = "x"\nconfiguration = "conf"\n')
    with pytest.raises(ConfigurationError) as caught:
        read_project_config(tmp_path)
    assert "'catalog'" in str(caught.value)
    assert str(tmp_path / "pyproject.toml") in str(caught.value)


def test_unknown_key_is_an_error(tmp_path):
    _write(
        tmp_path,
        '[tool.statisfactory]\nproject_slug = "x"\nconfiguration = "c"\ncatalog = "k"\ncatalgo = "k"\n',
    )
    with pytest.raises(ConfigurationError, match="unknown key.*'catalgo'"):
        read_project_config(tmp_path)


def test_wrong_type_is_an_error(tmp_path):
    _write(tmp_path, '[tool.statisfactory]\nproject_slug = 3\nconfiguration = "c"\ncatalog = "k"\n')
    with pytest.raises(
        ConfigurationError, match="project_slug must be a non-empty string, got int"
    ):
        read_project_config(tmp_path)


def test_toml_syntax_error_names_the_line(tmp_path):
    _write(tmp_path, '[tool.statisfactory]\nproject_slug = "x"\ncatalog = \n')
    with pytest.raises(ConfigurationError) as caught:
        read_project_config(tmp_path)
    assert "line 3" in str(caught.value)
    assert "pyproject.toml" in str(caught.value)


@pytest.mark.parametrize(
    ("table", "module", "factory"),
    [
        ('[tool.statisfactory.session_factory]\nmodule = "s.m"\nfactory = "My"\n', "s.m", "My"),
        ('[tool.statisfactory.entrypoints]\nmodule = "s.m"\nsession_factory = "My"\n', "s.m", "My"),
        ('[tool.statisfactory.session_factory]\nmodule = "s.m"\n', "s.m", None),
    ],
)
def test_session_factory_tables(project_factory, table, module, factory):
    root = project_factory()
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + table)
    declared = read_project_config(root).session_factory
    assert (declared.module, declared.factory) == (module, factory)


def test_session_factory_unknown_key(project_factory):
    root = project_factory()
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text()
        + '[tool.statisfactory.session_factory]\nmodule = "s"\nfactroy = "X"\n'
    )
    with pytest.raises(ConfigurationError, match="'factroy'"):
        read_project_config(root)
