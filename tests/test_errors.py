"""Errors: one module, context carried as attributes, messages composed from them."""

import pickle
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest

from statisfactory import errors
from statisfactory.errors import (
    ArtifactNotFoundError,
    CatalogError,
    RefusedYaml,
    StatisfactoryError,
    UnknownPipelineError,
)


def test_context_is_carried_as_attributes():
    error = CatalogError("cannot load", artifact="sales", location="/data/sales.csv")
    assert (error.artifact, error.location) == ("sales", "/data/sales.csv")
    assert error.craft is None and error.file is None and error.key is None
    assert error.args == ("cannot load",)


def test_added_context_never_replaces_what_the_raiser_knew():
    error = CatalogError("bad", artifact="inner").add_context(artifact="outer", craft="a.fit")
    assert (error.artifact, error.craft) == ("inner", "a.fit")


def test_an_unknown_context_name_is_refused():
    with pytest.raises(TypeError, match="unknown error context 'artefact'"):
        StatisfactoryError("x", artefact="sales")


def test_the_subject_precedes_a_message_that_does_not_name_the_artifact():
    subject = "artifact 'sales' (type 'csv')"
    error = CatalogError("disk full").add_context(subject=subject, artifact="sales")
    assert str(error) == f"{subject}: disk full"
    assert error.args == ("disk full",)
    named = CatalogError("artifact 'sales' is locked").add_context(
        subject=subject, artifact="sales"
    )
    assert str(named) == "artifact 'sales' is locked"


def test_key_errors_read_as_written():
    assert str(ArtifactNotFoundError("No artifact named 'x'.")) == "No artifact named 'x'."
    assert str(UnknownPipelineError("No pipeline 'y'.")) == "No pipeline 'y'."
    assert isinstance(UnknownPipelineError("y"), KeyError)


def test_errors_and_their_context_survive_pickling():  # errors cross process boundaries
    error = CatalogError("cannot save", artifact="sales", craft="m.fit").add_context(subject="s")
    clone = pickle.loads(pickle.dumps(error))
    assert (str(clone), clone.artifact, clone.craft) == (str(error), "sales", "m.fit")
    refused = pickle.loads(pickle.dumps(RefusedYaml("line 3", "duplicate key 'a'")))
    assert (refused.where, refused.problem, str(refused)) == (
        "line 3",
        "duplicate key 'a'",
        "line 3: duplicate key 'a'",
    )


def test_every_exception_class_of_the_package_is_in_errors():
    import pkgutil

    import statisfactory

    defined_elsewhere = []
    for module in pkgutil.walk_packages(statisfactory.__path__, "statisfactory."):
        if module.name.startswith(("statisfactory.notebooks.ipython", "statisfactory.__main__")):
            continue  # needs IPython / runs the command line
        imported = __import__(module.name, fromlist=["_"])
        for value in vars(imported).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == module.name
                and module.name != "statisfactory.errors"
            ):
                defined_elsewhere.append(f"{module.name}.{value.__qualname__}")
    assert defined_elsewhere == []


def test_the_craft_failure_of_the_command_line_is_a_click_exception_with_status_1():
    failure = errors.CraftFailedError("craft 'fit' failed", craft="m.fit")
    assert isinstance(failure, click.ClickException)
    assert (failure.exit_code, failure.craft) == (1, "m.fit")
    assert errors.CraftFailedError is type(failure)  # one class, built once
    clone = pickle.loads(pickle.dumps(failure))
    assert (type(clone), clone.message, clone.craft) == (
        type(failure),
        "craft 'fit' failed",
        "m.fit",
    )


def test_an_empty_message_shows_its_subject_alone():
    error = CatalogError().add_context(subject="artifact 'a'", artifact="a")
    assert str(error) == "artifact 'a'"


def test_importing_errors_does_not_import_click():
    code = "import sys, statisfactory.errors; print('click' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False"


def test_install_hints_name_the_distribution_pyproject_publishes():
    checkout = Path(__file__).parents[1]
    published = tomllib.loads((checkout / "pyproject.toml").read_text())["project"]["name"]
    assert errors.DISTRIBUTION == published != "statisfactory"  # the index's is another package
    assert errors.install_hint("viz") == f"pip install '{published}[viz]'"


def test_a_missing_integration_says_which_extra_to_install(monkeypatch):
    from statisfactory.session.integrations import build_git_repository

    monkeypatch.setitem(sys.modules, "pygit2", None)  # import pygit2 raises ImportError
    with pytest.raises(
        errors.IntegrationError, match=r"pip install 'statisfactory-pipelines\[git\]'"
    ):
        build_git_repository(Path("."))


def test_drawing_without_graphviz_says_which_extra_to_install(monkeypatch):
    from statisfactory import Craft, Volatile
    from statisfactory.pipeline.viz import to_graphviz

    @Craft()
    def only() -> Volatile("x"):
        return 1

    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(errors.VizError, match=r"pip install 'statisfactory-pipelines\[viz\]'"):
        to_graphviz(only + only)
