"""The command line on hostile input: a ``--param`` fills ``!{}`` but never moves data
elsewhere; a configuration template cannot run code."""

from __future__ import annotations

from pathlib import Path

import pytest
from shop_project import statisfactory

REPORT = {
    "lib/reports/__init__.py": "",
    "lib/reports/crafts.py": """
        from statisfactory import Artifact, Craft


        @Craft()
        def make_report(out_dir: str = "reports") -> Artifact("report"):
            return "figures"
    """,
    "catalog/catalog.yaml": """
        - name: report
          type: text
          extra: {path: "!{out_dir}/report.txt"}
        - name: anywhere
          type: text
          extra: {path: "!{out_dir}/anywhere.txt"}
          +dynamic_location: true
    """,
    "pipelines/definitions/pipelines.yaml": """
        report: {+operators: [reports.crafts.make_report]}
    """,
    "pipelines/parameters/sets.yaml": "base: {}\n",
}


@pytest.fixture
def project(project_factory) -> Path:
    return project_factory(REPORT, name="reporting")


@pytest.mark.parametrize(
    "value",
    ["file://{outside}", "{outside}", "memory://stolen", "../outside", "~/outside", "C:/outside"],
)
def test_a_param_cannot_send_an_artifact_elsewhere(project: Path, tmp_path: Path, value: str):
    outside = tmp_path / "outside"
    value = value.format(outside=outside)
    result = statisfactory("run", "report", "base", "--param", f"out_dir={value}", cwd=project)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "'report'" in result.stderr and "!{out_dir}" in result.stderr
    assert "+dynamic_location" in result.stderr
    assert "Traceback" not in result.stderr
    assert not outside.exists()
    assert not list(project.rglob("report.txt"))


def test_a_plain_param_still_picks_the_folder(project: Path):
    result = statisfactory("run", "report", "base", "--param", "out_dir=out/r1", cwd=project)

    assert result.returncode == 0, result.stderr
    assert (project / "out/r1/report.txt").read_text() == "figures"


def test_an_entry_that_opts_in_may_be_sent_anywhere(project: Path, tmp_path: Path):
    catalog = project / "catalog/catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: report", "name: unused", 1))
    catalog.write_text(catalog.read_text().replace("name: anywhere", "name: report"))
    outside = tmp_path / "chosen"
    result = statisfactory(
        "run", "report", "base", "--param", f"out_dir=file://{outside}", cwd=project
    )

    assert result.returncode == 0, result.stderr
    assert (outside / "anywhere.txt").read_text() == "figures"


def test_the_cli_refuses_a_catalog_that_tries_to_run_code(project_factory, tmp_path: Path):
    marker = tmp_path / "PWNED"
    attack = "{% set x = cycler.__init__.__globals__.os.system('touch MARKER') %}"
    attack = attack.replace("MARKER", str(marker))
    root = project_factory(
        {"catalog/catalog.yaml": f"{attack}\n- {{name: a, type: text, extra: {{path: a.txt}}}}\n"}
    )
    result = statisfactory("artifacts", "ls", cwd=root)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "catalog.yaml" in result.stderr and "unsafe" in result.stderr
    assert "Traceback" not in result.stderr
    assert not marker.exists()
