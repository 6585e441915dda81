"""The original's command line, as an original project uses it."""

from __future__ import annotations

import json

CATALOG = """
- name: cleaned
  type: pickle
  extra:
    path: data/cleaned.pkl
"""

CRAFTS = """
from statisfactory import Artifact, Craft


@Craft()
def clean() -> Artifact("cleaned"):
    return [1, 2, 3]
"""

DEFINITIONS = """
prepare:
  +operators:
    - crafts.clean
"""


def test_compile_without_a_notebooks_folder_exports_nothing_and_writes_the_manifest(
    original_project, cli
) -> None:
    root = original_project(
        {
            "catalog/c.yaml": CATALOG,
            "lib/crafts.py": CRAFTS,
            "pipelines/definitions.yml": DEFINITIONS,
        }
    )
    (root / "scripts").rmdir()

    result = cli("compile", cwd=root)

    assert result.returncode == 0, result.stderr
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["notebooks"] == []
    assert [step["craft"] for step in manifest["pipelines"]["prepare"]["batches"][0]] == [
        "crafts.clean"
    ]
    assert not (root / "lib" / "jupyter").exists()  # nothing exported, no stray package


def test_compile_writes_the_manifest_at_the_project_root(original_project, cli) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    root = original_project({"catalog/c.yaml": CATALOG})
    cell = new_code_cell(
        '@Craft()\ndef clean() -> Artifact("cleaned"):\n    return [1]',
        metadata={"tags": ["craft"]},
    )
    with (root / "scripts" / "10_explanatory_analysis.ipynb").open("w") as stream:
        nbformat.write(new_notebook(cells=[cell]), stream)

    result = cli("compile", cwd=root)

    assert result.returncode == 0, result.stderr
    assert (root / "lib" / "jupyter" / "explanatory_analysis.py").is_file()
    assert json.loads((root / "manifest.json").read_text())["notebooks"][0]["crafts"] == ["clean"]
    assert not (root / "lib" / "jupyter" / "manifest.json").exists()
    assert "wrote    manifest.json" in result.stdout


def test_python_dash_m_statisfactory_is_the_command_line(original_project, cli) -> None:
    root = original_project(
        {
            "catalog/c.yaml": CATALOG,
            "lib/crafts.py": CRAFTS,
            "pipelines/definitions.yml": DEFINITIONS,
        }
    )

    listed = cli("pipelines", "ls", cwd=root)
    ran = cli("run", "prepare", cwd=root)
    broken = cli("run", "nowhere", cwd=root)

    assert listed.returncode == 0, listed.stderr
    assert "prepare" in listed.stdout
    assert ran.returncode == 0, ran.stderr
    assert (root / "data" / "cleaned.pkl").is_file()
    assert broken.returncode == 2
    assert "nowhere" in broken.stderr and "Traceback" not in broken.stderr


def test_compile_never_overwrites_a_manifest_json_it_did_not_write(original_project, cli) -> None:
    root = original_project({"catalog/c.yaml": CATALOG})
    theirs = '{"name": "my web app", "icons": []}\n'
    (root / "manifest.json").write_text(theirs)

    result = cli("compile", cwd=root)

    assert result.returncode == 2
    assert "manifest.json" in result.stderr and "Traceback" not in result.stderr
    assert (root / "manifest.json").read_text() == theirs
