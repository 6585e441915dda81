"""The command line's messages about crafts: where a failure was raised, and the crafts' logs."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from shop_project import SHOP, statisfactory

LOGGING_CRAFTS = {
    "lib/shop/talk.py": """
        import logging

        from statisfactory import Artifact, Craft

        log = logging.getLogger(__name__)


        @Craft()
        def chatty(n_orders: int = 3) -> Artifact("orders"):
            log.debug("a detail nobody asked for")
            log.info("simulated %d orders", n_orders)
            log.warning("this craft talks a lot")
            return [{"id": i} for i in range(n_orders)]
    """,
    "pipelines/definitions/talk.yaml": """
        talk:
          +operators: [shop.talk.chatty]
    """,
}


@pytest.fixture
def shop(project_factory) -> Path:
    return project_factory({**SHOP, **LOGGING_CRAFTS}, name="shop")


def test_a_failed_craft_names_the_line_that_raised_and_how_to_see_the_traceback(
    shop: Path,
) -> None:
    result = statisfactory("run", "broken", "base", cwd=shop)

    assert result.returncode == 1
    source = (shop / "lib/shop/crafts.py").read_text().splitlines()
    line = next(n for n, text in enumerate(source, 1) if "the orders are cursed" in text)
    assert f"raised at lib/shop/crafts.py:{line}, in explode" in result.stderr
    assert "rerun with -v for the traceback" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failed_craft_in_a_worker_process_still_names_its_line(shop: Path) -> None:
    result = statisfactory("run", "broken", "base", "--runner", "processes", cwd=shop)

    assert result.returncode == 1
    assert "raised at lib/shop/crafts.py:" in result.stderr


def test_verbose_is_accepted_after_the_subcommand(shop: Path) -> None:
    failing = statisfactory("run", "broken", "base", "-v", cwd=shop)
    assert failing.returncode == 1
    assert "Traceback" in failing.stderr and "ValueError" in failing.stderr
    assert "rerun with -v" not in failing.stderr

    listing = statisfactory("pipelines", "ls", "--verbose", cwd=shop)
    assert listing.returncode == 0, listing.stderr


def test_a_crafts_info_logs_reach_the_output_and_debug_ones_do_not(shop: Path) -> None:
    result = statisfactory("run", "talk", cwd=shop)

    assert result.returncode == 0, result.stderr
    assert "shop.talk: simulated 3 orders" in result.stderr
    assert "this craft talks a lot" in result.stderr
    assert "a detail nobody asked for" not in result.stderr


def test_log_level_chooses_what_is_shown(shop: Path) -> None:
    debug = statisfactory("run", "talk", "--log-level", "debug", cwd=shop)
    assert debug.returncode == 0, debug.stderr
    assert "a detail nobody asked for" in debug.stderr

    quiet = statisfactory("--log-level", "WARNING", "run", "talk", cwd=shop)
    assert "simulated 3 orders" not in quiet.stderr
    assert "this craft talks a lot" in quiet.stderr

    wrong = statisfactory("run", "talk", "--log-level", "chatty", cwd=shop)
    assert wrong.returncode == 2
    assert "--log-level" in wrong.stderr


def test_conf_logging_yaml_configures_logging_as_dictconfig(shop: Path) -> None:
    (shop / "conf/logging.yaml").write_text(
        "version: 1\n"
        "formatters: {bare: {format: 'CRAFT-LOG %(levelname)s %(message)s'}}\n"
        "handlers: {file: {class: logging.FileHandler, filename: talk.log, formatter: bare}}\n"
        "loggers: {shop: {level: DEBUG, handlers: [file]}}\n"
    )
    result = statisfactory("run", "talk", cwd=shop)

    assert result.returncode == 0, result.stderr
    written = (shop / "talk.log").read_text()
    assert "CRAFT-LOG INFO simulated 3 orders" in written
    assert "CRAFT-LOG DEBUG a detail nobody asked for" in written


def test_a_logging_setting_configures_logging_and_a_bad_one_names_it(shop: Path) -> None:
    (shop / "conf/globals.yaml").write_text("logging:\n  version: 1\n  root: {level: ERROR}\n")
    quiet = statisfactory("run", "talk", cwd=shop)
    assert quiet.returncode == 0, quiet.stderr
    assert "this craft talks a lot" not in quiet.stderr

    (shop / "conf/globals.yaml").write_text(
        "logging:\n  version: 1\n  handlers: {h: {class: nowhere.Handler}}\n"
    )
    broken = statisfactory("run", "talk", cwd=shop)
    assert broken.returncode == 2
    assert "logging" in broken.stderr and "Traceback" not in broken.stderr


def test_craft_logs_never_show_secrets(shop: Path) -> None:
    (shop / "lib/shop/leak.py").write_text(
        "import logging\n"
        "from statisfactory import Artifact, Craft\n\n"
        "@Craft()\n"
        "def leak(api_token: str) -> Artifact('orders'):\n"
        "    logging.getLogger('shop.leak').info('token is %s', api_token)\n"
        "    return []\n"
    )
    (shop / "pipelines/definitions/leak.yaml").write_text("leak:\n  +operators: [shop.leak.leak]\n")
    (shop / "catalog/catalog.yaml").write_text(
        (shop / "catalog/catalog.yaml").read_text().replace("orders_!{n_orders}", "orders")
    )
    (shop / "conf/logging.yaml").write_text(
        "version: 1\n"
        "handlers: {file: {class: logging.FileHandler, filename: leak.log}}\n"
        "loggers: {shop: {handlers: [file]}}\n"
    )
    result = statisfactory("run", "leak", "secretive", cwd=shop)

    assert result.returncode == 0, result.stderr
    assert "token is" in result.stderr
    assert "s3cr3t-token" not in result.stderr + result.stdout
    written = (shop / "leak.log").read_text()
    assert "token is" in written and "s3cr3t-token" not in written


def test_a_missing_locals_file_is_said_once(shop: Path) -> None:
    (shop / "conf/locals.yaml").unlink()
    first = statisfactory("pipelines", "ls", cwd=shop)
    assert "no locals.yaml" in first.stderr
    second = statisfactory("pipelines", "ls", cwd=shop)
    assert second.returncode == 0
    assert "locals.yaml" not in second.stderr


def test_worker_processes_crafts_logs_reach_the_output(shop: Path) -> None:
    result = statisfactory("run", "talk", "--runner", "processes", cwd=shop)

    assert result.returncode == 0, result.stderr
    assert "shop.talk: simulated 3 orders" in result.stderr


@pytest.mark.skipif(shutil.which("script") is None, reason="needs util-linux `script` for a TTY")
@pytest.mark.parametrize(("flag", "info_lines"), [("", False), (" -v", True)])
def test_on_a_terminal_crafts_logs_show_and_statisfactorys_info_lines_only_with_verbose(
    shop: Path, flag: str, info_lines: bool
) -> None:
    command = f"{shlex.quote(sys.executable)} -m statisfactory.cli.main run talk{flag}"
    shown = subprocess.run(
        ["script", "-qc", command, "/dev/null"],
        cwd=shop,
        env={**os.environ, "COLUMNS": "200"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert shown.returncode == 0, shown.stdout
    assert "shop.talk: simulated 3 orders" in shown.stdout
    assert ("statisfactory.pipeline" in shown.stdout) is info_lines


def test_an_error_that_pickles_without_its_place_still_names_its_line(shop: Path) -> None:
    """A JSONDecodeError raised in a worker process loses its attributes on the way back."""
    (shop / "lib/shop/deep.py").write_text(
        "import json\n\nfrom statisfactory import Artifact, Craft\n\n\n"
        "def helper(text):\n    return json.loads(text)\n\n\n"
        "@Craft()\ndef deep() -> Artifact('never'):\n    return helper('{oops')\n"
    )
    (shop / "pipelines/definitions/deep.yaml").write_text("deep:\n  +operators: [shop.deep.deep]\n")
    result = statisfactory("run", "deep", "--runner", "processes", cwd=shop)

    assert result.returncode == 1
    assert "raised at lib/shop/deep.py:7, in helper; rerun with -v" in result.stderr
