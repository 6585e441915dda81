"""Reading the project's YAML files: Jinja first, then YAML; errors name the file."""

from __future__ import annotations

import pytest

from statisfactory.errors import ConfigurationError
from statisfactory.project.templating import read_yaml_template


def test_an_undefined_variable_says_which_settings_files_to_define_it_in(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("- name: a\n  extra: {path: '{{ data_folder }}/a.csv'}\n")

    with pytest.raises(ConfigurationError) as caught:
        read_yaml_template(path, {"configuration": "settings"})

    message = str(caught.value)
    assert message.startswith(f"{path}: Jinja variable 'data_folder' is undefined")
    assert "settings/globals.yaml or settings/locals.yaml" in message


def test_a_yaml_error_names_the_line(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("- name: a\n  extra: {path: [}\n")

    with pytest.raises(ConfigurationError, match=r"catalog.yaml, line 2, column 18: invalid YAML"):
        read_yaml_template(path, {})
