"""Settings: pyproject < globals < locals < STATISFACTORY_* variables, nested mappings merged."""

from __future__ import annotations

import pytest

from statisfactory.errors import ConfigurationError
from statisfactory.project.pyproject import read_project_config
from statisfactory.project.settings import build_settings, flag, template_variables


def test_layers_and_nested_merge(project_factory, monkeypatch):
    root = project_factory(
        {
            "conf/globals.yaml": """
                db: {host: localhost, port: 5432}
                threshold: 1
                name: from-globals
            """,
            "conf/locals.yaml": """
                db: {port: 6543}
                threshold: 2
            """,
        }
    )
    monkeypatch.setenv("STATISFACTORY_THRESHOLD", "3")
    monkeypatch.setenv("STATISFACTORY_AWS_ACCESS_KEY", "from-env")
    settings = build_settings(read_project_config(root))
    assert settings.get("project_slug") == "demo"  # the pyproject table
    assert settings.get("db") == {"host": "localhost", "port": 6543}
    assert settings.get("name") == "from-globals"
    assert settings.get("threshold") == 3  # env wins, parsed as TOML scalar
    assert settings.get("aws_access_key") == "from-env"
    variables = template_variables(settings)
    assert variables["db"]["host"] == "localhost"
    assert variables["aws_access_key"] == "from-env"


def test_missing_locals_is_a_warning(project_factory):
    root = project_factory()
    (root / "conf" / "locals.yaml").unlink()
    with pytest.warns(UserWarning, match="no locals.yaml"):
        build_settings(read_project_config(root))


def test_yml_suffix_is_accepted(project_factory):
    root = project_factory()
    (root / "conf" / "globals.yaml").unlink()
    (root / "conf" / "globals.yml").write_text("answer: 42\n")
    assert build_settings(read_project_config(root)).get("answer") == 42


def test_yaml_syntax_error_names_file_and_line(project_factory):
    root = project_factory({"conf/locals.yaml": "a: 1\nb: [unclosed\nc: 3\n"})
    with pytest.raises(ConfigurationError) as caught:
        build_settings(read_project_config(root))
    assert "locals.yaml" in str(caught.value)
    assert "line" in str(caught.value)


def test_settings_file_must_be_a_mapping(project_factory):
    root = project_factory({"conf/globals.yaml": "- a\n- b\n"})
    with pytest.raises(ConfigurationError, match="globals.yaml: settings must be a YAML mapping"):
        build_settings(read_project_config(root))


def test_missing_configuration_folder_is_a_warning(project_factory):
    root = project_factory()
    for path in (root / "conf").iterdir():
        path.unlink()
    (root / "conf").rmdir()
    with pytest.warns(UserWarning, match="configuration folder .* does not exist"):
        settings = build_settings(read_project_config(root))
    assert settings.project_slug == "demo"


def test_nested_environment_variable_merges_under_the_files_spelling(project_factory, monkeypatch):
    root = project_factory(
        {
            "conf/globals.yaml": "db: {host: localhost, port: 5432}\n",
            "catalog/c.yaml": """
                - name: table
                  type: json
                  extra: {path: "data/{{ db.host }}_{{ db.port }}_{{ db.schema }}.json"}
            """,
        }
    )
    monkeypatch.setenv("STATISFACTORY_DB__PORT", "6543")
    monkeypatch.setenv("STATISFACTORY_DB__SCHEMA", "sales")
    monkeypatch.setenv("THRESHOLD", "1")  # not prefixed: not a setting
    from statisfactory import Session

    session = Session(root_folder=root)

    expected = {"host": "localhost", "port": 6543, "schema": "sales"}
    assert session.template_variables["db"] == expected
    assert session.settings.get("threshold") is None
    assert session.catalog.locate("table").endswith("data/localhost_6543_sales.json")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("yes", True), (" Off ", False), ("1", True), (0, False)],
)
def test_a_yes_no_setting_takes_booleans_and_their_usual_words(value, expected) -> None:
    assert flag({"history": value}, "history", default=not expected) is expected


def test_an_unset_yes_no_setting_takes_its_default() -> None:
    assert flag({}, "volatile_cache", default=False) is False
    assert flag({"volatile_cache": None}, "volatile_cache", default=True) is True
    assert flag(None, "volatile_cache", default=True) is True


@pytest.mark.parametrize("value", ["maybe", 2, ["yes"]])
def test_a_yes_no_setting_with_another_value_is_an_error_naming_it(value) -> None:
    with pytest.raises(ConfigurationError, match="volatile_cache") as raised:
        flag({"volatile_cache": value}, "volatile_cache", default=False)
    assert raised.value.key == "volatile_cache"
    assert "true or false" in str(raised.value)
