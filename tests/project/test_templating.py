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


VARIABLES = {"data": "data", "n": 3, "empty": None, "flag": True, "range": "mine"}


@pytest.mark.parametrize(
    "text",
    [
        "path: {{ data }}/t.parquet\n",
        "path: '{{data}}/{{  n  }}_{{ empty }}'\nflag: {{ flag }}\nr: {{ range }}",
        "a: {{{ data }}}\n",  # neither path may differ from Jinja's reading
        "a: {{ data | upper }}\n",
        "a: {{ data }}\r\nb: 1\r\n",
        "a: {{ data }}\n{# note #}\n{% if n %}b: {{ n }}{% endif %}\n",
        "a: {{ true }} {{ none }}\n",
        "a: {{- data }}\n",
        "a: '}}{{ data }}{'\n",
    ],
)
def test_plain_variables_render_exactly_as_jinja_renders_them(text):
    import jinja2

    from statisfactory.project.templating import _environment, render_template

    try:
        expected = _environment().from_string(text).render(**VARIABLES)
    except jinja2.TemplateError:
        with pytest.raises(ConfigurationError, match="f.yaml"):
            render_template(text, VARIABLES, source="f.yaml")
    else:
        assert render_template(text, VARIABLES, source="f.yaml") == expected


def test_plain_variables_render_without_compiling_a_template(monkeypatch):
    from statisfactory.project import templating

    def refuse():
        raise AssertionError("Jinja was used for plain variables")

    monkeypatch.setattr(templating, "_environment", refuse)
    assert templating.render_template("a: {{ data }}\n", VARIABLES, source="f") == "a: data\n"


def test_an_undefined_plain_variable_is_still_an_error_naming_it():
    from statisfactory.project.templating import render_template

    with pytest.raises(ConfigurationError, match="f.yaml: Jinja variable 'missing' is undefined"):
        render_template("a: {{ missing }}\n", VARIABLES, source="f.yaml")
