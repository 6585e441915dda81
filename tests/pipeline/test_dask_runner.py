"""The Dask runner: crafts run as tasks on Dask worker processes, with the results of the
sequential runner; workers load and save artifacts through their own session; volatiles go
from worker to worker; failures, dead workers and unreachable schedulers are reported by name.

Most tests share one LocalCluster of two single-threaded worker processes; workers keep the
modules they imported, so each test's crafts live in a module of its own name.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from session_sources import COUNTING_SESSION

from service_guard import service_unavailable
from statisfactory import Session
from statisfactory.errors import CraftError, RunnerError, WorkerLostError
from statisfactory.history.store import store_for
from statisfactory.pipeline import Pipeline
from statisfactory.pipeline.runners.dask import DaskRunner

pytestmark = pytest.mark.service

FAN = """
    import os

    from statisfactory import Artifact, Craft, Volatile


    class Traveller:
        \"\"\"Numbers that log the process id of every process unpickling them.\"\"\"

        def __init__(self, numbers, log):
            self.numbers, self.log = numbers, log

        def __reduce__(self):
            return _arrive, (self.numbers, self.log)


    def _arrive(numbers, log):
        with open(log, "a") as lines:
            lines.write(f"unpickled {os.getpid()}\\n")
        return Traveller(numbers, log)


    @Craft()
    def numbers(n: int, log: str) -> Volatile("numbers"):
        return Traveller(list(range(n)), log)


    @Craft()
    def squares(numbers: Volatile) -> Volatile("squares"):
        return [x * x for x in numbers.numbers]


    @Craft()
    def cubes(numbers: Volatile) -> Volatile("cubes"):
        return [x**3 for x in numbers.numbers]


    @Craft()
    def negatives(numbers: Volatile) -> Volatile("negatives"):
        return [-x for x in numbers.numbers]


    @Craft()
    def total(
        squares: Volatile, cubes: Volatile, negatives: Volatile, log: str
    ) -> [Artifact("report"), Volatile("total")]:
        with open(log, "a") as lines:
            lines.write(f"total {os.getpid()}\\n")
        value = sum(squares) + sum(cubes) + sum(negatives)
        return {"total": value, "pid": os.getpid()}, value


    PIPELINE = total + negatives + cubes + squares + numbers
"""

ONE = """
    from statisfactory import Craft, Volatile


    @Craft()
    def one() -> Volatile("one"):
        return 1
"""

REPORT = """
    - name: report
      type: json
      extra: {path: "data/report_!{n}.json"}
"""


@pytest.fixture(scope="module")
def scheduler_address() -> Iterator[str]:
    """A LocalCluster of two worker processes, each offering one 'GPU' resource."""
    from distributed import LocalCluster

    try:
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=":0", resources={"GPU": 1}
        )
    except Exception as error:
        service_unavailable(f"Dask LocalCluster did not start: {error}")
    with cluster:
        yield cluster.scheduler_address


@pytest.fixture
def dask_logs() -> Iterator[list[str]]:
    """The messages the Dask runner logs during the test."""
    messages: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = logging.getLogger("statisfactory.pipeline.runner.dask")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)
    logger.setLevel(level)


def _project(project_factory, module: str, code: str, catalog: str = "", conf: str = "") -> Path:
    files = {f"lib/{module}.py": code, "catalog/catalog.yaml": catalog or "[]"}
    if conf:
        files["conf/locals.yaml"] = conf
    return project_factory(files)


def test_fan_out_fan_in_matches_the_sequential_runner(project_factory, scheduler_address, tmp_path):
    root = _project(project_factory, "fan_crafts", FAN, REPORT)
    session = Session(root_folder=root)
    from fan_crafts import PIPELINE

    with session:
        expected = PIPELINE.run({"n": 6, "log": str(tmp_path / "sequential.log")})
        log = tmp_path / "dask.log"
        state = PIPELINE.run(
            {"n": 6, "log": str(log)}, runner=DaskRunner(address=scheduler_address)
        )

    assert state.keys() == expected.keys()
    assert state["numbers"].numbers == expected["numbers"].numbers
    assert {k: v for k, v in state.items() if k != "numbers"} == {
        k: v for k, v in expected.items() if k != "numbers"
    }
    # the artifact written by a worker is read back by this process's session
    report = session.catalog.load("report", n=6)
    assert report["total"] == expected["total"]
    assert report["pid"] != os.getpid()
    # `numbers` reached the three crafts reading it without passing through this process:
    # this process unpickles it only when the run returns its volatiles, after `total` ran
    lines = log.read_text().splitlines()
    here = f"unpickled {os.getpid()}"
    assert here in lines
    assert lines.index(here) > lines.index(f"total {report['pid']}")


def test_the_command_line_runs_on_the_scheduler_given_by_address(
    project_factory, scheduler_address, tmp_path
):
    definitions = "fan: {+operators: [cli_fan_crafts.PIPELINE]}\n"
    root = project_factory(
        {
            "lib/cli_fan_crafts.py": FAN,
            "catalog/catalog.yaml": REPORT,
            "pipelines/definitions/pipelines.yaml": definitions,
        }
    )
    log = tmp_path / "cli.log"

    def statisfactory(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "statisfactory.cli.main", "run", "fan", *args]
        return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)

    ran = statisfactory("--address", scheduler_address, "--param", "n=4", "--param", f"log={log}")
    assert ran.returncode == 0, ran.stderr
    assert json.loads((root / "data/report_4.json").read_text())["total"] == 14 + 36 - 6
    assert f"the Dask scheduler at {scheduler_address}" in ran.stderr
    assert "dashboard: http://" in ran.stderr

    refused = statisfactory("--address", scheduler_address, "--runner", "threads")
    assert refused.returncode == 2
    assert "--address names a Dask scheduler" in refused.stderr


def test_the_settings_choose_dask_and_the_scheduler(project_factory, scheduler_address):
    code = """
        import os

        from statisfactory import Craft, Session, Volatile


        @Craft()
        def where() -> Volatile("where"):
            return os.getpid(), str(Session.get_active_session().root)
    """
    conf = f"runner: dask\ndask_scheduler_address: {scheduler_address}\n"
    root = _project(project_factory, "settings_crafts", code, conf=conf)
    session = Session(root_folder=root)
    from settings_crafts import where

    with session:
        pid, worker_root = Pipeline(where).run()["where"]

    assert pid != os.getpid()
    assert Path(worker_root) == session.root


NESTED = """
    import os

    from statisfactory import Craft, Pipeline, Session, Volatile


    @Craft()
    def where(label: str) -> Volatile("where"):
        return os.getpid(), str(Session.get_active_session().root)


    @Craft()
    def outer(label: str) -> Volatile("inner"):
        return Pipeline(where).run({"label": "inner"})["where"]


    def spread(count):
        made = []
        for index in range(count):
            def step(label: str) -> Volatile(f"pid_{index}"):
                return os.getpid()

            step.__name__ = step.__qualname__ = f"step_{index}"
            made.append(Craft(step))
        return made


    STEPS = spread(6)
    globals().update({craft.name: craft for craft in STEPS})
"""


def test_workers_build_the_session_once_and_inner_pipelines_see_it(
    project_factory, scheduler_address
):
    root = project_factory(
        {"lib/nested_crafts.py": NESTED, "counting_session.py": COUNTING_SESSION},
        tool='\n[tool.statisfactory.session_factory]\nmodule = "counting_session"\n'
        'factory = "CountingSession"\n',
    )
    session = Session(root_folder=root)
    from nested_crafts import STEPS, outer

    with session:
        builds_here = len(list((root / "builds").iterdir()))
        state = Pipeline(outer, *STEPS).run(
            {"label": "x"}, runner=DaskRunner(address=scheduler_address)
        )

    inner_pid, inner_root = state["inner"]
    assert inner_pid != os.getpid() and Path(inner_root) == session.root
    worker_pids = {str(state[f"pid_{index}"]) for index in range(6)} | {str(inner_pid)}
    builds = [path.name.split("-")[0] for path in (root / "builds").iterdir()]
    assert len(builds) - builds_here == 2  # one session per worker of the cluster, for the run
    for pid in worker_pids:
        assert builds.count(pid) == 1


def test_workers_keep_the_session_for_its_next_runs_and_build_a_new_one(
    project_factory, scheduler_address
):
    root = project_factory(
        {
            "lib/kept_crafts.py": NESTED.replace("spread(6)", "spread(4)"),
            "counting_session.py": COUNTING_SESSION,
        },
        tool='\n[tool.statisfactory.session_factory]\nmodule = "counting_session"\n'
        'factory = "CountingSession"\n',
    )
    session = Session(root_folder=root)
    from kept_crafts import STEPS

    def worker_builds() -> int:
        return len(
            [
                path
                for path in (root / "builds").iterdir()
                if path.name.split("-")[0] != str(os.getpid())
            ]
        )

    runner = DaskRunner(address=scheduler_address)
    with session:
        for _ in range(3):
            Pipeline(*STEPS).run({"label": "x"}, runner=runner)
    assert worker_builds() == 2  # once per worker of the cluster, for the three runs

    with Session(root_folder=root):  # another session: the workers build theirs again
        Pipeline(*STEPS).run({"label": "x"}, runner=runner)
    assert worker_builds() == 4


def test_a_craft_raising_on_a_worker_is_named_with_the_worker_traceback(
    project_factory, scheduler_address
):
    code = """
        from statisfactory import Craft, Volatile


        @Craft()
        def start() -> Volatile("start"):
            return 1


        @Craft()
        def explode(start: Volatile) -> Volatile("never"):
            raise ValueError(f"cannot use {start}")
    """
    root = _project(project_factory, "failing_crafts", code)
    session = Session(root_folder=root)
    from failing_crafts import explode, start

    with session, pytest.raises(CraftError) as raised:
        (start + explode).run(runner=DaskRunner(address=scheduler_address))

    assert "failing_crafts.explode" in str(raised.value)
    assert "ValueError: cannot use 1" in str(raised.value)
    cause = raised.value.__cause__
    assert isinstance(cause, ValueError)
    frames = traceback.extract_tb(cause.__traceback__)
    assert any(f.name == "explode" and f.filename.endswith("failing_crafts.py") for f in frames)


def test_values_that_cannot_be_pickled_are_named(project_factory, scheduler_address):
    code = """
        import threading

        from statisfactory import Craft, Volatile


        @Craft()
        def locked() -> Volatile("lock"):
            return threading.Lock()


        @Craft()
        def echo(value) -> Volatile("echo"):
            return value
    """
    root = _project(project_factory, "pickling_crafts", code)
    session = Session(root_folder=root)
    from pickling_crafts import echo, locked

    runner = DaskRunner(address=scheduler_address)
    with session:
        with pytest.raises(CraftError, match=r"pickling_crafts\.locked.*'lock'"):
            Pipeline(locked).run(runner=runner)
        with pytest.raises(CraftError, match=r"pickling_crafts\.echo.*'value'"):
            Pipeline(echo).run({"value": lambda: None}, runner=runner)


def test_resource_hints_reach_dask(project_factory, scheduler_address):
    code = """
        import os

        from statisfactory import Craft, Volatile


        @Craft(resources={"GPU": 1})
        def on_gpu() -> Volatile("gpu_pid"):
            return os.getpid()


        @Craft(resources={"TPU": 1})
        def on_tpu() -> Volatile("tpu_pid"):
            return os.getpid()
    """
    root = _project(project_factory, "resource_crafts", code)
    session = Session(root_folder=root)
    from resource_crafts import on_gpu, on_tpu

    runner = DaskRunner(address=scheduler_address)
    with session:
        assert Pipeline(on_gpu).run(runner=runner)["gpu_pid"] != os.getpid()
        with pytest.raises(RunnerError, match=r"resource_crafts\.on_tpu.*TPU"):
            Pipeline(on_tpu).run(runner=runner)


def test_resource_hints_are_checked_when_declared():
    from statisfactory import Craft

    def function():
        return None

    with pytest.raises(CraftError, match=r"function'.*positive amounts"):
        Craft(resources={"GPU": 0})(function)
    assert Craft(resources={"GPU": 1})(function).resources == {"GPU": 1}
    assert Craft()(function).resources == {}


FRAGILE = """
    import os
    import signal
    from pathlib import Path

    from statisfactory import Craft, Volatile


    @Craft()
    def fragile(marker: str) -> Volatile("survivor"):
        if not Path(marker).exists():  # the first attempt kills its own worker process
            Path(marker).write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return os.getpid()


    @Craft()
    def after(survivor: Volatile) -> Volatile("after"):
        return survivor


    @Craft()
    def doomed() -> Volatile("never"):
        os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_worker_killed_mid_run_is_retried_on_a_local_cluster(
    project_factory, scheduler_address, tmp_path, dask_logs
):
    root = _project(project_factory, "fragile_crafts", FRAGILE)
    session = Session(root_folder=root)
    from fragile_crafts import after, fragile

    marker = tmp_path / "killed-once"
    runner = DaskRunner(max_workers=2, retries=2, cluster_options={"dashboard_address": ":0"})
    with session:
        state = (fragile + after).run({"marker": str(marker)}, runner=runner)

    assert state["after"] == state["survivor"] != int(marker.read_text())
    assert any("LocalCluster" in m and "dashboard: http://" in m for m in dask_logs)


def test_a_craft_whose_workers_keep_dying_fails_clearly(project_factory, scheduler_address):
    root = _project(project_factory, "doomed_crafts", FRAGILE)
    session = Session(root_folder=root)
    from doomed_crafts import doomed

    runner = DaskRunner(max_workers=2, retries=0, cluster_options={"dashboard_address": ":0"})
    with session, pytest.raises(CraftError) as raised:
        Pipeline(doomed).run(runner=runner)

    assert "doomed_crafts.doomed" in str(raised.value)
    assert "died 1 time(s)" in str(raised.value)
    assert isinstance(raised.value.__cause__, WorkerLostError)


def test_an_unreachable_scheduler_is_named(project_factory):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    root = _project(project_factory, "unreachable_crafts", ONE)
    session = Session(root_folder=root)
    from unreachable_crafts import one

    runner = DaskRunner(address=address, connect_timeout=1)
    with session, pytest.raises(RunnerError, match=f"{address} within 1 s"):
        Pipeline(one).run(runner=runner)


def test_bad_dask_settings_are_named(project_factory):
    root = _project(project_factory, "settings_check", ONE, conf="dask_retries: many\n")
    session = Session(root_folder=root)
    from settings_check import one

    with session, pytest.raises(RunnerError, match="'dask_retries'.*'many'"):
        Pipeline(one).run(runner="dask")


def test_a_craft_defined_in_a_function_is_refused_before_connecting():
    from statisfactory import Craft, Volatile

    @Craft()
    def local() -> Volatile("local"):
        return 1

    with pytest.raises(CraftError, match="cannot be sent to a worker"):
        Pipeline(local).run(runner=DaskRunner(address="tcp://192.0.2.1:8786"))


def test_a_craft_defined_in_the_running_script_is_refused(monkeypatch):
    from statisfactory import Craft, Volatile

    def script_craft() -> Volatile("value"):
        return 1

    script_craft.__module__ = "__main__"
    script_craft.__qualname__ = "script_craft"
    craft = Craft(script_craft)
    monkeypatch.setattr(sys.modules["__main__"], "script_craft", craft, raising=False)

    with pytest.raises(CraftError, match="defined in the script or notebook being run"):
        Pipeline(craft).run(runner=DaskRunner(address="tcp://192.0.2.1:8786"))


def test_a_script_running_dask_at_its_top_level_is_told_to_guard_it(project_factory, tmp_path):
    root = _project(project_factory, "script_crafts", ONE)
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from statisfactory import Pipeline, Session\n"
        f"session = Session(root_folder={str(root)!r})\n"
        "from script_crafts import one\n"
        "with session:\n"
        "    Pipeline(one).run(runner='dask')\n"
    )
    ran = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert ran.returncode != 0
    assert f"if {script} runs the pipeline at its top level" in ran.stderr
    assert "if __name__ == '__main__':" in ran.stderr


LEAKY = """
    import logging

    from statisfactory import Craft, Session, Volatile


    @Craft()
    def leak(api_token: str) -> Volatile("never"):
        settings = Session.get_active_session().settings
        told = (
            f"password {settings.warehouse.credentials.password}, pin {settings.pin_key}, "
            f"short {settings.short_token}, vault {settings.vault_token}, api {api_token}"
        )
        print("printed:", told)
        logging.getLogger("leaky").warning("logged: %s", told)
        raise ConnectionError(f"refused: {told}")
"""


def test_the_dask_runner_prints_no_secret_of_a_failing_craft(project_factory):
    secrets = ("pw-Nested-9981", "4242", "zq7x", "env-Tok-31337", "param-Tok-2718")
    conf = (
        "warehouse: {credentials: {user: ada, password: pw-Nested-9981}}\n"
        "pin_key: 4242\nshort_token: zq7x\n"
    )
    root = _project(project_factory, "leaky_crafts", LEAKY, conf=conf)
    (root / "pipelines/definitions/p.yaml").write_text("leak: {+operators: [leaky_crafts.leak]}\n")
    command = ["run", "leak", "--runner", "dask", "--workers", "1", "--param"]
    ran = subprocess.run(
        [sys.executable, "-m", "statisfactory.cli.main", *command, "api_token=param-Tok-2718"],
        cwd=root,
        env={**os.environ, "STATISFACTORY_VAULT_TOKEN": "env-Tok-31337"},
        capture_output=True,
        text=True,
        timeout=180,
    )

    printed = ran.stdout + ran.stderr
    assert ran.returncode == 1, printed
    assert "printed: password ***, pin ***" in printed  # the worker's output is shown, masked
    assert "logged: password ***" in printed
    assert "refused: password ***" in printed
    # whole tokens: a log line's time (18:42:42) holds 4242, which is no leak
    assert [s for s in secrets if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", printed)] == []


def test_a_dask_run_returns_its_volatiles_id_statuses_and_writes(
    project_factory, scheduler_address
):
    root = _project(project_factory, "dask_result_crafts", FAN, REPORT)
    session = Session(root_folder=root)
    from dask_result_crafts import PIPELINE

    with session:
        result = PIPELINE.run(
            {"n": 3, "log": str(root / "log")}, runner=DaskRunner(address=scheduler_address)
        )
    assert result["total"] == sum([0, 1, 4]) + sum([0, 1, 8]) + sum([0, -1, -2])
    assert set(result.statuses.values()) == {"done"} and len(result.statuses) == 5
    assert result.written == {"report": str(root / "data" / "report_3.json")}
    session.history_store.flush()
    assert session.history_store.runs(limit=1)[0]["run_id"] == result.run_id


def test_crafts_reading_volatiles_are_skipped_after_a_dask_run(project_factory, scheduler_address):
    root = _project(project_factory, "dask_incremental_crafts", FAN, REPORT)
    session = Session(root_folder=root)
    from dask_incremental_crafts import PIPELINE

    params = {"n": 3, "log": str(root / "log")}
    with session:
        first = PIPELINE.run(params, runner=DaskRunner(address=scheduler_address))
        again = PIPELINE.run(params, runner=DaskRunner(address=scheduler_address), incremental=True)
        changed = PIPELINE.run(
            {**params, "n": 4}, runner=DaskRunner(address=scheduler_address), incremental=True
        )

    assert set(first.statuses.values()) == {"done"}
    assert set(again.statuses.values()) == {"skipped"}, again.statuses
    assert set(changed.statuses.values()) == {"done"}, changed.statuses


SCORED = """
    from statisfactory import Craft, Metrics, Volatile


    @Craft()
    def fit(alpha: float) -> [Volatile("model"), Metrics("scores"), Metrics("loss")]:
        return {"alpha": alpha}, {"r2": 1 - alpha / 10, "name": "ridge"}, alpha * 2


    @Craft()
    def check(model: Volatile, scores: Volatile) -> Volatile("checked"):
        return scores["r2"] + model["alpha"]
"""


def test_metrics_outputs_are_recorded_on_dask(project_factory, scheduler_address, caplog):
    root = _project(project_factory, "dask_metrics_crafts", SCORED)
    session = Session(root_folder=root)
    from dask_metrics_crafts import check, fit

    with session, caplog.at_level(logging.WARNING, logger="statisfactory"):
        result = Pipeline(fit, check).run(
            {"alpha": 2.0}, runner=DaskRunner(address=scheduler_address)
        )
    assert result["checked"] == 2.8  # the metrics still reach the crafts reading them
    assert result["scores"] == {"r2": 0.8, "name": "ridge"}
    assert store_for(session).metrics_of([result.run_id]) == {
        result.run_id: {"r2": 0.8, "loss": 4.0}
    }
    assert "not recorded" not in caplog.text
