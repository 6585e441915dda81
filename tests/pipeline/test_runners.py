"""Runners: sequential, threads and processes run the same pipelines with the same results,
start crafts as soon as their inputs exist, stop on the first failure, and keep the session
active inside crafts."""

import importlib
import os
import threading

import pytest
from session_sources import COUNTING_SESSION

from statisfactory import Session
from statisfactory.errors import CraftError, RunnerError
from statisfactory.hookspecs import hookimpl
from statisfactory.pipeline import Craft, Pipeline, Runner, Volatile, get_runner, known_runners
from statisfactory.pipeline.runners import Completed

RUNNERS = ["sequential", "threads", "processes"]

STEPS = """
    import os
    import threading
    import time
    from pathlib import Path

    from statisfactory import Craft, Session, Volatile


    def _wait_for(path, seconds=10.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if path.exists():
                return True
            time.sleep(0.01)
        return False


    @Craft()
    def where() -> Volatile("where"):
        session = Session.get_active_session()
        return {"pid": os.getpid(), "thread": threading.current_thread().name,
                "root": str(session.root)}


    @Craft()
    def nested_where() -> Volatile("nested_where"):
        from statisfactory import Pipeline

        return Pipeline(where).run()["where"]


    @Craft()
    def one() -> Volatile("one"):
        return 1


    @Craft()
    def plus_one(one: Volatile) -> Volatile("two"):
        return one + 1


    @Craft()
    def outer(start: int = 5) -> Volatile("inner_state"):
        return (source + add).run({"start": start}, runner="sequential")


    @Craft()
    def source(start: int) -> Volatile("value"):
        return start


    @Craft()
    def add(value: Volatile) -> Volatile("added"):
        return value + 1


    # --- readiness: `slow` only returns True if `after_fast` ran while it was still running
    @Craft()
    def slow(signals: str) -> Volatile("slow_saw_signal"):
        return _wait_for(Path(signals) / "fast_done")


    @Craft()
    def fast() -> Volatile("fast"):
        return 1


    @Craft()
    def after_fast(fast: Volatile, signals: str) -> Volatile("after_fast"):
        (Path(signals) / "fast_done").touch()
        return fast + 1


    # --- warm pool: `first` only returns True if every worker was built while it ran
    @Craft()
    def first(workers: int, parent: int) -> Volatile("first"):
        builds = Session.get_active_session().root / "builds"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pids = {path.name.split("-")[0] for path in builds.iterdir()} - {str(parent)}
            if len(pids) == workers:
                return True
            time.sleep(0.01)
        return False


    @Craft()
    def then_a(first: Volatile) -> Volatile("a"):
        return first


    @Craft()
    def then_b(first: Volatile) -> Volatile("b"):
        return first


    # --- failure: `long_running` is running when `fails` fails
    @Craft()
    def fails(signals: str) -> Volatile("failed"):
        (Path(signals) / "failing").touch()
        raise ValueError("planned failure")


    @Craft()
    def long_running(signals: str) -> Volatile("long"):
        _wait_for(Path(signals) / "failing")
        time.sleep(0.2)  # let the runner see the failure first
        (Path(signals) / "long_done").touch()
        return 1


    @Craft()
    def after_long(long: Volatile, signals: str) -> Volatile("after_long"):
        (Path(signals) / "after_long_ran").touch()
        return long


    @Craft()
    def after_failure(failed: Volatile, signals: str) -> Volatile("after_failure"):
        (Path(signals) / "after_failure_ran").touch()
        return failed


    # --- pickling
    @Craft()
    def returns_lambda() -> Volatile("function"):
        return lambda: 1


    @Craft()
    def takes(lock) -> Volatile("taken"):
        return 1
"""


@pytest.fixture
def project(session_factory):
    """A session on a project whose lib/steps.py holds the crafts; returns (session, steps)."""
    session = session_factory({"lib/steps.py": STEPS})
    return session, importlib.import_module("steps")


@pytest.mark.parametrize("runner", RUNNERS)
def test_every_runner_gives_the_same_state(project, runner):
    session, steps = project
    pipeline = steps.plus_one + steps.one + steps.outer
    with session:
        state = pipeline.run({"start": 7}, runner=runner, max_workers=2)
    assert state == {"one": 1, "two": 2, "inner_state": {"value": 7, "added": 8}}


@pytest.mark.parametrize("runner", RUNNERS)
def test_the_session_is_active_inside_crafts(project, runner):
    session, steps = project
    with session:
        state = Pipeline(steps.where, steps.nested_where).run(runner=runner)
    where = state["where"]
    assert where["root"] == str(session.root)
    assert state["nested_where"]["root"] == str(session.root)  # a pipeline run by a craft
    assert state["nested_where"]["pid"] == where["pid"] or runner == "processes"
    if runner == "threads":
        assert where["thread"].startswith("statisfactory-craft")


@pytest.mark.parametrize("runner", ["threads", "processes"])
def test_parallel_runners_start_a_craft_as_soon_as_its_inputs_exist(project, runner, tmp_path):
    session, steps = project
    pipeline = steps.slow + steps.fast + steps.after_fast
    with session:
        state = pipeline.run({"signals": str(tmp_path)}, runner=runner, max_workers=2)
    # batch by batch, after_fast would have waited for slow, which waited for after_fast
    assert state["slow_saw_signal"] is True


@pytest.mark.parametrize("runner", ["threads", "processes"])
def test_first_failure_stops_scheduling_and_lets_running_crafts_finish(project, runner, tmp_path):
    session, steps = project
    pipeline = steps.fails + steps.long_running + steps.after_long + steps.after_failure
    with session, pytest.raises(CraftError, match=r"steps.fails' failed: .*planned failure"):
        pipeline.run({"signals": str(tmp_path)}, runner=runner, max_workers=2)
    assert (tmp_path / "long_done").exists()
    assert not (tmp_path / "after_long_ran").exists()
    assert not (tmp_path / "after_failure_ran").exists()


def test_threads_never_run_more_crafts_than_workers():
    lock = threading.Lock()
    running, peak = [0], [0]

    def make(index):
        def work() -> Volatile(f"out{index}"):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            threading.Event().wait(0.01)
            with lock:
                running[0] -= 1
            return index

        work.__name__ = work.__qualname__ = f"work{index}"
        return Craft(work)

    pipeline = Pipeline(*[make(i) for i in range(8)])
    assert pipeline.run(runner="threads", max_workers=2) == {f"out{i}": i for i in range(8)}
    assert 1 <= peak[0] <= 2


def _journaled(events: list[tuple[str, str]]):
    """Three independent crafts, and a plugin noting the hooks around each."""

    class Journal:
        @hookimpl
        def before_craft(self, craft):
            events.append(("before", craft.name))

        @hookimpl
        def after_craft(self, craft):
            events.append(("after", craft.name))

    def make(name):
        def work() -> Volatile(name):
            return name

        work.__name__ = work.__qualname__ = name
        return Craft(work)

    return Pipeline(make("a"), make("b"), make("c")), Journal()


def test_a_worker_back_from_a_craft_gets_the_next_ready_one_before_its_hooks_run():
    events: list[tuple[str, str]] = []
    pipeline, journal = _journaled(events)
    pipeline.run(runner="threads", max_workers=1, plugins=[journal])
    assert events == [
        ("before", "a"),
        ("before", "b"),  # the worker took b before a's hooks (the run history) ran
        ("after", "a"),
        ("before", "c"),
        ("after", "b"),
        ("after", "c"),
    ]


def test_the_sequential_runner_keeps_each_craft_between_its_hooks():
    events: list[tuple[str, str]] = []
    pipeline, journal = _journaled(events)
    pipeline.run(runner="sequential", plugins=[journal])
    assert events == [(when, name) for name in "abc" for when in ("before", "after")]


@pytest.fixture
def counting_project(project_factory):
    """A project whose session factory counts its builds (a file per build, in builds/)."""
    root = project_factory(
        {"lib/steps.py": STEPS, "counting_session.py": COUNTING_SESSION},
        tool='\n[tool.statisfactory.session_factory]\nmodule = "counting_session"\n'
        'factory = "CountingSession"\n',
    )
    return root, Session(root_folder=root), importlib.import_module("steps")


def test_processes_rebuild_the_session_once_per_worker(counting_project):
    root, session, steps = counting_project
    with session:
        pids = set()
        for _ in range(3):  # several crafts per worker and several runs
            pipeline = Pipeline(steps.where, steps.one, steps.plus_one, steps.fast)
            state = pipeline.run(runner="processes", max_workers=2)
            pids.add(state["where"]["pid"])
    builds = [path.name.split("-")[0] for path in (root / "builds").iterdir()]
    for pid in pids:  # each run has its own pool: one build per worker process
        assert builds.count(str(pid)) == 1


def test_processes_start_every_worker_with_the_pool(counting_project):
    """A worker does not wait for a second craft to be ready before it starts: it builds its
    session while the first craft runs."""
    _, session, steps = counting_project
    with session:
        pipeline = Pipeline(steps.first, steps.then_a, steps.then_b)
        state = pipeline.run(
            {"workers": 2, "parent": os.getpid()}, runner="processes", max_workers=2
        )
    assert state["first"] is True


def test_processes_work_without_fork(project):
    from statisfactory.pipeline.runners.processes import ProcessRunner

    session, steps = project
    pipeline = Pipeline(steps.where, steps.one, steps.plus_one)
    with session:
        state = pipeline.run(runner=ProcessRunner(1, start_method="spawn"))
    assert state["two"] == 2
    assert state["where"]["root"] == str(session.root)
    assert state["where"]["pid"] != os.getpid()


def test_unpicklable_values_are_named_with_their_craft(project):
    session, steps = project
    with session:
        with pytest.raises(CraftError, match=r"returns_lambda.*volatile returned as 'function'"):
            Pipeline(steps.returns_lambda).run(runner="processes")
        with pytest.raises(CraftError, match=r"steps.takes.*value given as 'lock' \(lock\)"):
            Pipeline(steps.takes).run({"lock": threading.Lock()}, runner="processes")


def test_crafts_that_cannot_be_imported_by_workers_fail_before_running():
    ran = []

    @Craft()
    def local() -> Volatile("x"):
        ran.append(1)
        return 1

    with pytest.raises(CraftError, match="local' cannot be sent to a worker process"):
        Pipeline(local).run(runner="processes")
    assert ran == []


def test_the_runner_setting_is_used_when_the_call_names_none(session_factory):
    session = session_factory({"lib/steps.py": STEPS, "conf/globals.yaml": "runner: threads\n"})
    steps = importlib.import_module("steps")
    with session:
        where = Pipeline(steps.where)()["where"]
    assert where["thread"].startswith("statisfactory-craft")


def test_unknown_runner_lists_the_known_ones():
    with pytest.raises(RunnerError, match=r"Unknown runner 'warp'.*processes, sequential, threads"):
        Pipeline().run(runner="warp")
    assert {"sequential", "threads", "processes", "dask"} <= set(known_runners())


def test_bad_worker_counts_are_refused():
    with pytest.raises(RunnerError, match="positive integer"):
        get_runner("threads", max_workers=0)


def test_a_runner_is_a_small_interface_registered_by_name(project):
    session, steps = project
    submitted = []

    class Recording(Runner, runner_name="recording"):
        def _submit(self, executor, call):
            submitted.append(call.craft.name)
            return Completed(call)

    with session:
        state = (steps.plus_one + steps.one).run(runner="recording")
        assert (steps.plus_one + steps.one).run(runner=Recording(max_workers=1)) == state
    assert state == {"one": 1, "two": 2}
    assert submitted == ["one", "plus_one", "one", "plus_one"]


LEAKY_STEPS = """
    import logging

    from statisfactory import Craft, Session, Volatile


    @Craft()
    def leak(api_token: str) -> Volatile("never"):
        password = Session.get_active_session().settings.get("db_password")
        print(f"printed: {password} {api_token}", flush=True)
        logging.getLogger("leaky").warning("logged: %s %s", password, api_token)
        raise ConnectionError(f"refused: {password} {api_token}")
"""


def test_worker_processes_print_log_and_raise_no_secret(project_factory, capfd):
    from statisfactory.pipeline.runners.processes import ProcessRunner

    root = project_factory(
        {"lib/leaky_steps.py": LEAKY_STEPS, "conf/locals.yaml": "db_password: pw-Worker-4711\n"}
    )
    session = Session(root_folder=root)
    steps = importlib.import_module("leaky_steps")
    with session, pytest.raises(CraftError) as raised:
        Pipeline(steps.leak).run(
            {"api_token": "param-Tok-2718"}, runner=ProcessRunner(1, start_method="spawn")
        )

    out, err = capfd.readouterr()
    shown = f"{out}{err}{raised.value}{raised.value.__cause__}"
    assert "printed: *** ***" in out and "logged: *** ***" in err
    assert "refused: *** ***" in str(raised.value)
    assert "pw-Worker-4711" not in shown and "param-Tok-2718" not in shown
