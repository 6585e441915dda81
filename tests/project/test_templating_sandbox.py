"""Configuration templates cannot run code: Jinja renders them in its sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from statisfactory.errors import ConfigurationError
from statisfactory.project.templating import read_yaml_template

# Known escapes from an unsandboxed Jinja; MARKER is the file each one would create.
ATTACKS = [
    "{% set x = cycler.__init__.__globals__.os.system('touch MARKER') %}",
    "{{ joiner.__init__.__globals__.os.system('touch MARKER') }}",
    "{{ namespace.__init__.__globals__.os.system('touch MARKER') }}",
    "{{ lipsum.__globals__['os'].system('touch MARKER') }}",
    "{{ lipsum.__globals__.__builtins__.__import__('os').system('touch MARKER') }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}{{ cycler.__init__.__globals__.os.popen('touch MARKER') }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system('touch MARKER') }}",
    "{{ (cycler|attr('__init__')|attr('__globals__'))['os'].system('touch MARKER') }}",
    "{{ data.__class__.__init__.__globals__ }}{{ cycler.__init__.__globals__.os.system('touch MARKER') }}",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attack_string_is_refused_and_runs_nothing(tmp_path: Path, attack: str):
    marker = tmp_path / "PWNED"
    path = tmp_path / "parameters.yaml"
    path.write_text(f'base:\n  x: "{attack.replace("MARKER", str(marker))}"\n')

    with pytest.raises(ConfigurationError) as caught:
        read_yaml_template(path, {"data": {"folder": "data"}})

    assert str(caught.value).startswith(f"{path}: ")
    # The attr filter meets a refused attribute as undefined: an error too, also naming the file.
    assert "unsafe" in str(caught.value) or "|attr(" in attack
    assert not marker.exists()


def test_settings_stay_reachable(tmp_path: Path):
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "{% for split in splits.split(',') %}\n"
        "- {name: '{{ split }}', extra: {path: '{{ data.folder }}/{{ split|upper }}.csv'}}\n"
        "{% endfor %}\n"
    )
    entries = read_yaml_template(path, {"splits": "train,test", "data": {"folder": "d"}})
    assert [entry["extra"]["path"] for entry in entries] == ["d/TRAIN.csv", "d/TEST.csv"]
