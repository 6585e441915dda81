"""Mistakes caught before anything runs: exit 2, nothing written."""

from pathlib import Path

import pytest
from shop_project import statisfactory

CHECKED = {
    "lib/lab/__init__.py": "",
    "lib/lab/crafts.py": """
        from statisfactory import Artifact, Craft


        @Craft()
        def sample(n_rows: int = 3) -> Artifact("rows"):
            return list(range(n_rows))


        @Craft()
        def fit(rows: Artifact, alpha: float = 1.0) -> Artifact("model"):
            return {"alpha": alpha, "rows": rows}
    """,
    "catalog/catalog.yaml": """
        - name: rows
          type: json
          extra: {path: data/rows.json}
        - name: model
          type: json
          extra: {path: "data/model_!{n_samples}.json"}
    """,
    "pipelines/definitions/pipelines.yaml": """
        lab:
          +operators: [lab.crafts.sample, lab.crafts.fit]
    """,
    "pipelines/parameters/sets.yaml": """
        shared:
          n_samples: 5
          used_by_another_pipeline: 1
    """,
}


@pytest.fixture
def lab(project_factory) -> Path:
    return project_factory(CHECKED, name="lab")


def test_a_missing_dynamic_variable_stops_the_run_before_the_first_craft(lab: Path) -> None:
    result = statisfactory("run", "lab", cwd=lab)

    assert result.returncode == 2, result.stderr
    assert "'n_samples' is missing" in result.stderr
    assert "lab.crafts.fit" in result.stderr and "model" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (lab / "data").exists()  # the first craft did not write its output


def test_an_unused_parameter_is_a_warning_with_a_close_name(lab: Path) -> None:
    result = statisfactory(
        "run", "lab", "--param", "n_samples=5", "--param", "n_sample=50", cwd=lab
    )

    assert result.returncode == 0, result.stderr
    assert "parameter 'n_sample' is used by no craft" in result.stderr
    assert "did you mean 'n_samples'" in result.stderr
    assert (lab / "data/model_5.json").exists()


def test_strict_makes_an_unused_parameter_an_error(lab: Path) -> None:
    result = statisfactory(
        "run", "lab", "--strict", "--param", "n_samples=5", "--param", "n_sample=50", cwd=lab
    )

    assert result.returncode == 2, result.stderr
    assert "'n_sample' is used by no craft" in result.stderr
    assert not (lab / "data").exists()


@pytest.mark.parametrize(("setting", "refused"), [("true", True), ('"off"', False)])
def test_the_strict_parameters_setting_makes_it_an_error_unless_off(
    lab: Path, setting: str, refused: bool
) -> None:
    (lab / "conf/globals.yaml").write_text(f"strict_parameters: {setting}\n")

    result = statisfactory("run", "lab", "--param", "n_samples=5", "--param", "alpah=2", cwd=lab)

    assert result.returncode == (2 if refused else 0), result.stderr
    assert "did you mean 'alpha'" in result.stderr  # the error, or a warning only
    assert (lab / "data").exists() is not refused


def test_the_keys_of_a_parameter_set_are_not_checked(lab: Path) -> None:
    (lab / "conf/globals.yaml").write_text("strict_parameters: true\n")

    result = statisfactory("run", "lab", "shared", cwd=lab)

    assert result.returncode == 0, result.stderr
    assert "used by no craft" not in result.stderr


def test_a_craft_scoped_mapping_naming_no_craft_is_an_error_from_python(lab: Path) -> None:
    from statisfactory import Session
    from statisfactory.errors import PipelineError

    session = Session(root_folder=lab)
    with session, pytest.raises(PipelineError, match=r"'fitt'.*did you mean 'fit'"):
        session.pipelines_definitions["lab"].run({"n_samples": 5, "fitt": {"alpha": 2}})
    assert not (lab / "data").exists()


def test_describe_and_viz_report_what_a_run_must_provide(lab: Path) -> None:
    for command in (("pipelines", "describe", "lab"), ("viz", "lab")):
        result = statisfactory(*command, cwd=lab)

        assert result.returncode == 0, result.stderr
        assert "lab.crafts.fit" in result.stderr and "needs n_samples" in result.stderr


def test_describe_and_viz_report_undeclared_artifacts(lab: Path) -> None:
    (lab / "catalog/catalog.yaml").write_text(
        "- name: rows\n  type: json\n  extra: {path: data/rows.json}\n"
    )
    for command in (("pipelines", "describe", "lab"), ("viz", "lab")):
        result = statisfactory(*command, cwd=lab)

        assert "artifact 'model', which the catalog" in result.stderr, result.stderr


def test_a_parameter_used_only_in_an_entrys_options_is_used(project_factory) -> None:
    """``!{}`` in ``load_options`` / ``save_options`` is filled from the run's parameters like
    ``extra``: such a parameter is used, so ``--strict`` runs (and the value reaches the file)."""
    root = project_factory(
        {
            **CHECKED,
            "catalog/catalog.yaml": """
                - name: rows
                  type: csv
                  extra: {path: data/rows.csv}
                  save_options: {sep: "!{separator}", index: false}
                  load_options: {sep: "!{separator}"}
                - name: model
                  type: json
                  extra: {path: data/model.json}
            """,
            "lib/lab/crafts.py": """
                import pandas as pd
                from statisfactory import Artifact, Craft


                @Craft()
                def sample(n_rows: int = 3) -> Artifact("rows"):
                    return pd.DataFrame({"a": range(n_rows), "b": range(n_rows)})


                @Craft()
                def fit(rows: Artifact, alpha: float = 1.0) -> Artifact("model"):
                    return {"alpha": alpha, "columns": list(rows.columns)}
            """,
        },
        name="lab",
    )

    result = statisfactory("run", "lab", "--strict", "--param", "separator=;", cwd=root)

    assert result.returncode == 0, result.stderr
    assert "used by no craft" not in result.stderr
    assert (root / "data/rows.csv").read_text().splitlines()[0] == "a;b"

    (root / "data/rows.csv").unlink()
    missing = statisfactory("run", "lab", cwd=root)  # stops before the first craft writes
    assert missing.returncode == 2, missing.stderr
    assert "'separator' is missing" in missing.stderr and "rows" in missing.stderr
    assert not (root / "data/rows.csv").exists()
