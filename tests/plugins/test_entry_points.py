"""A package installed beside Statisfactory adds a format, a storage backend, a runner and a
hook plugin through entry points; a project uses them without importing anything from it.

The package is built and installed with pip into a folder of the test (``pip install
--target``), which the command line then gets on ``PYTHONPATH``: nothing stays installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61", "wheel"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "stf-extras"
        version = "0.1"

        [project.entry-points."statisfactory.interactors"]
        shout = "stf_extras.formats:ShoutInteractor"

        [project.entry-points."statisfactory.backends"]
        vault = "stf_extras.storage:VaultBackend"

        [project.entry-points."statisfactory.runners"]
        inline = "stf_extras.runner:InlineRunner"

        [project.entry-points."statisfactory.hooks"]
        journal = "stf_extras.hooks:Journal"

        [tool.setuptools]
        packages = ["stf_extras"]
    """,
    "stf_extras/__init__.py": "",
    "stf_extras/formats.py": """
        from statisfactory.IO.interactors.files import FileInteractor


        class ShoutInteractor(FileInteractor, interactor_name="shout"):
            \"\"\"A string, stored upper-cased.\"\"\"

            def read(self, source, context):
                with self.opened(source) as handle:
                    return handle.read().decode()

            def write(self, asset, handle, context):
                handle.write(asset.upper().encode())
    """,
    "stf_extras/storage.py": """
        from statisfactory.IO.backends.base import Backend


        class VaultBackend(Backend, prefix="vault"):
            \"\"\"vault://a/b.txt is the file vault/a/b.txt of the project.\"\"\"

            def _path(self, fragment):
                return self.root / "vault" / (fragment.netloc + fragment.path)

            def put(self, *, payload, fragment, **kwargs):
                path = self._path(fragment)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(payload)

            def get(self, *, fragment, **kwargs):
                path = self._path(fragment)
                if not path.exists():
                    raise FileNotFoundError(path)
                return path.read_bytes()
    """,
    "stf_extras/runner.py": """
        import os

        from statisfactory.pipeline.runners.base import Completed, Runner


        class InlineRunner(Runner):
            \"\"\"Sequential, and says so.\"\"\"

            def _submit(self, executor, call):
                with open(os.environ["STF_JOURNAL"], "a") as journal:
                    journal.write(f"inline {call.craft.name}\\n")
                return Completed(call)
    """,
    "stf_extras/hooks.py": """
        import os

        from statisfactory.hookspecs import hookimpl


        class Journal:
            \"\"\"Writes what it hears to the file named by STF_JOURNAL.\"\"\"

            def _write(self, line):
                with open(os.environ["STF_JOURNAL"], "a") as journal:
                    journal.write(line + "\\n")

            @hookimpl
            def after_session_init(self, session):
                self._write(f"session {session.config.project_slug} {os.getpid()}")

            @hookimpl
            def before_run(self, run):
                self._write(f"run {run.configuration}")

            @hookimpl
            def after_craft(self, craft):
                self._write(f"craft {craft.name}")

            @hookimpl
            def after_artifact_save(self, run, name, location):
                where = "run" if run is not None else "worker"
                self._write(f"saved {name} {location.rpartition('/')[2]} in {where}")
    """,
}

PROJECT = {
    "lib/greetings.py": """
        from statisfactory import Artifact, Craft, Volatile


        @Craft()
        def greet(who: str = "world") -> Artifact("greeting"):
            return f"hello {who}"


        @Craft()
        def measure(greeting: Artifact) -> Volatile("length"):
            return len(greeting)
    """,
    "catalog/catalog.yaml": """
        - name: greeting
          type: shout
          extra: {path: "vault://greetings/!{who}.txt"}
    """,
    "pipelines/definitions/pipelines.yaml": """
        hello:
          +operators: [greetings.greet, greetings.measure]
    """,
    "pipelines/parameters/sets.yaml": """
        ada:
          who: ada
    """,
}


PIP_INSTALL = (sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index")
PIP_INSTALL += ("--no-build-isolation",)  # offline: the environment's setuptools builds it


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the package is installed into."""
    source = tmp_path_factory.mktemp("stf_extras_source")
    for relative, text in PACKAGE.items():
        path = source / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [*PIP_INSTALL, "--target", str(target), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return target


@pytest.fixture
def project(project_factory) -> Path:
    return project_factory(PROJECT, name="greetings")


def statisfactory(*args: str, cwd: Path, site: Path, journal: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
        "STF_JOURNAL": str(journal),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "statisfactory.cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_project_uses_an_installed_format_backend_and_hook_plugin(installed, project, tmp_path):
    journal = tmp_path / "journal.txt"
    done = statisfactory("run", "hello", "ada", cwd=project, site=installed, journal=journal)
    assert done.returncode == 0, done.stderr
    assert (project / "vault" / "greetings" / "ada.txt").read_text() == "HELLO ADA"
    lines = journal.read_text().splitlines()
    assert lines[0].startswith("session demo ")
    assert lines[1:] == [
        "run ada",
        "saved greeting ada.txt in run",
        "craft greet",
        "craft measure",
    ]
    assert "vault://greetings/ada.txt" in done.stdout  # the summary shows where it went


def test_an_installed_runner_is_chosen_by_name(installed, project, tmp_path):
    journal = tmp_path / "journal.txt"
    done = statisfactory(
        "run", "hello", "ada", "--runner", "inline", cwd=project, site=installed, journal=journal
    )
    assert done.returncode == 0, done.stderr
    lines = journal.read_text().splitlines()
    assert "inline greet" in lines and "inline measure" in lines


def test_worker_processes_call_the_artifact_hooks_of_their_own_session(
    installed, project, tmp_path
):
    journal = tmp_path / "journal.txt"
    done = statisfactory(
        "run", "hello", "ada", "--runner", "processes", cwd=project, site=installed, journal=journal
    )
    assert done.returncode == 0, done.stderr
    lines = journal.read_text().splitlines()
    sessions = [line for line in lines if line.startswith("session ")]
    assert len({line.split()[-1] for line in sessions}) >= 2  # the run's and a worker's
    assert "saved greeting ada.txt in worker" in lines
    assert (project / "vault" / "greetings" / "ada.txt").read_text() == "HELLO ADA"


def test_plugins_ls_lists_them_and_a_project_can_disable_a_hook_plugin(
    installed, project, tmp_path
):
    journal = tmp_path / "journal.txt"
    listed = statisfactory("plugins", "ls", cwd=project, site=installed, journal=journal)
    assert listed.returncode == 0, listed.stderr
    rows = {tuple(line.split()[:2]): line for line in listed.stdout.splitlines()[1:]}
    assert ("interactors", "shout") in rows and ("backends", "vault") in rows
    assert ("runners", "inline") in rows
    assert "stf-extras 0.1" in rows["hooks", "journal"]
    assert rows["hooks", "journal"].rstrip().endswith("enabled")
    assert not journal.exists()  # listing imports no plugin

    (project / "conf" / "globals.yaml").write_text("disabled_hook_plugins: [journal]\n")
    listed = statisfactory("plugins", "ls", cwd=project, site=installed, journal=journal)
    assert "disabled" in next(line for line in listed.stdout.splitlines() if "journal" in line)
    done = statisfactory("run", "hello", "ada", cwd=project, site=installed, journal=journal)
    assert done.returncode == 0, done.stderr
    assert not journal.exists()  # the format and the backend still work; the journal is off
    assert (project / "vault" / "greetings" / "ada.txt").read_text() == "HELLO ADA"


def test_a_broken_plugin_is_reported_in_one_message(installed, project, tmp_path):
    journal = tmp_path / "journal.txt"
    (project / "conf" / "globals.yaml").write_text("hook_plugins: [greetings:nothing_here]\n")
    done = statisfactory("run", "hello", "ada", cwd=project, site=installed, journal=journal)
    assert done.returncode == 2
    assert "hook_plugins" in done.stderr and "greetings:nothing_here" in done.stderr
    assert "Traceback" not in done.stderr
