"""Hook plugins of a run: implementations take any subset of a hook's arguments, a wrong name
is refused when the plugin is registered, and every hook point is called with what it says."""

from __future__ import annotations

import importlib
import logging
import warnings

import pytest

from statisfactory.errors import CraftError, HookError, PluginError
from statisfactory.hookspecs import hookimpl
from statisfactory.pipeline import Pipeline
from statisfactory.pipeline.job import Skip
from statisfactory.pipeline.run import CraftStatus, RunStatus

STEPS = """
    from statisfactory import Artifact, Craft, Volatile


    @Craft()
    def source(n: int = 2) -> Artifact("numbers"):
        return list(range(n))


    @Craft()
    def total(numbers: Artifact) -> Volatile("total"):
        return sum(numbers)


    @Craft()
    def double(total: Volatile) -> Volatile("doubled"):
        return 2 * total


    @Craft()
    def broken(total: Volatile) -> Volatile("never"):
        raise ValueError("no luck")


    @Craft()
    def unwritable(n: int) -> Artifact("numbers"):
        return {1, 2}
"""
CATALOG = """
    - name: numbers
      type: json
      extra: {path: "data/numbers_!{n}.json"}
"""


@pytest.fixture
def lab(session_factory):
    session = session_factory({"lib/hook_steps.py": STEPS, "catalog/catalog.yaml": CATALOG})
    return session, importlib.import_module("hook_steps")


class Journal:
    """Implements each hook with a different subset of its arguments."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    @hookimpl
    def before_run(self, run):
        self.events.append(("before_run", run.status))

    @hookimpl
    def after_run(self, result, run):  # another order than the specification's
        self.events.append(("after_run", run.status, dict(result)))

    @hookimpl
    def on_run_error(self, error):
        self.events.append(("on_run_error", type(error).__name__))

    @hookimpl
    def before_craft(self, craft, context):
        self.events.append(("before_craft", craft.name, context.get("n")))

    @hookimpl
    def after_craft(self, index, volatiles, run):
        self.events.append(("after_craft", run.plan.crafts[index].name, dict(volatiles)))

    @hookimpl
    def on_craft_error(self, craft, error):
        self.events.append(("on_craft_error", craft.name, type(error).__name__))

    @hookimpl
    def before_artifact_load(self, name, location):
        self.events.append(("before_load", name, location.rpartition("/")[2]))

    @hookimpl
    def after_artifact_load(self, name, value):
        self.events.append(("after_load", name, value))

    @hookimpl
    def before_artifact_save(self, craft, name, value, context):
        self.events.append(("before_save", craft.name, name, value, context["n"]))

    @hookimpl
    def after_artifact_save(self, name, location, artifact):
        where = location.rpartition("/")[2]
        self.events.append(("after_save", name, where, artifact.type, artifact.extra.path))


def test_implementations_take_any_subset_of_the_arguments(lab):
    session, steps = lab
    journal = Journal()
    with session:
        result = Pipeline(steps.source, steps.total, steps.double).run({"n": 3}, plugins=[journal])
    assert result == {"total": 3, "doubled": 6}
    assert journal.events == [
        ("before_run", RunStatus.RUNNING),
        ("before_craft", "source", 3),
        ("before_save", "source", "numbers", [0, 1, 2], 3),
        ("after_save", "numbers", "numbers_3.json", "json", "data/numbers_3.json"),
        ("after_craft", "source", {}),
        ("before_craft", "total", 3),
        ("before_load", "numbers", "numbers_3.json"),
        ("after_load", "numbers", [0, 1, 2]),
        ("after_craft", "total", {"total": 3}),
        ("before_craft", "double", 3),
        ("after_craft", "double", {"doubled": 6}),
        ("after_run", RunStatus.SUCCEEDED, {"total": 3, "doubled": 6}),
    ]


def test_a_failing_craft_is_told_to_the_error_hooks(lab):
    session, steps = lab
    journal = Journal()
    with session, pytest.raises(Exception, match="no luck"):
        Pipeline(steps.source, steps.total, steps.broken).run({"n": 2}, plugins=[journal])
    assert journal.events[-2:] == [
        ("on_craft_error", "broken", "ValueError"),
        ("on_run_error", "CraftError"),
    ]


def test_a_wrong_argument_name_is_refused_when_registered(lab):
    session, steps = lab

    class Typo:
        @hookimpl
        def after_craft(self, crafts):  # the argument is `craft`
            raise AssertionError("never called")

    with session, pytest.raises(PluginError, match="crafts") as raised:
        Pipeline(steps.source).run(plugins=[Typo()])
    assert "after_craft" in str(raised.value)
    assert not (session.root / "data").exists()  # refused before anything ran


def test_an_unknown_hook_name_is_refused_with_a_suggestion(lab):
    session, steps = lab

    class Misnamed:
        @hookimpl
        def after_crafts(self, craft):
            raise AssertionError("never called")

    with session, pytest.raises(PluginError, match="did you mean 'after_craft'"):
        Pipeline(steps.source).run(plugins=[Misnamed()])


def test_a_plugin_without_implementations_is_refused(lab):
    session, steps = lab

    class Unmarked:
        def after_craft(self, craft):  # no @hookimpl
            pass

    with session, pytest.raises(PluginError, match="implements no hook"):
        Pipeline(steps.source).run(plugins=[Unmarked()])


def test_a_failing_hook_stops_the_run_naming_its_plugin(lab):
    session, steps = lab

    class Grumpy:
        @hookimpl
        def before_craft(self, craft):
            if craft.name == "total":
                raise RuntimeError("not today")

    with session, pytest.raises(CraftError) as raised:
        Pipeline(steps.source, steps.total).run({"n": 2}, plugins=[Grumpy()])
    assert isinstance(raised.value.__cause__, HookError)
    assert "'hook_steps.total'" in str(raised.value)
    assert "Hook 'before_craft' of plugin 'Grumpy' raised RuntimeError: not today" in str(
        raised.value
    )


def test_a_failing_error_hook_is_logged_and_the_craft_failure_is_raised(lab, caplog):
    session, steps = lab

    class Clumsy:
        @hookimpl
        def on_craft_error(self, craft):
            raise RuntimeError("clumsy")

    with session, caplog.at_level(logging.ERROR), pytest.raises(Exception, match="no luck"):
        Pipeline(steps.source, steps.total, steps.broken).run({"n": 2}, plugins=[Clumsy()])
    assert any("clumsy" in record.getMessage() for record in caplog.records)


def test_a_plugin_may_skip_crafts(lab):
    session, steps = lab

    class SkipDoubling:
        def __init__(self) -> None:
            self.skipped: list[tuple[str, str]] = []

        @hookimpl
        def decide_craft(self, craft):
            return Skip("doubling is off today") if craft.name == "double" else None

        @hookimpl
        def on_craft_skip(self, craft, reason):
            self.skipped.append((craft.name, reason))

    plugin = SkipDoubling()
    with session:
        result = Pipeline(steps.source, steps.total, steps.double).run({"n": 2}, plugins=[plugin])
    assert result == {"total": 1}
    assert plugin.skipped == [("double", "doubling is off today")]
    assert result.statuses["hook_steps.double"] is CraftStatus.SKIPPED


def test_hook_calls_are_skipped_without_implementations(lab):
    from statisfactory.plugins.manager import implementations
    from statisfactory.plugins.relay import HookRelay

    class OnlyAfterRun:
        @hookimpl
        def after_run(self):
            pass

    relay = HookRelay(implementations(OnlyAfterRun(), "only", "a test"))
    assert relay.after_run is not None
    assert relay.before_craft is None and relay.after_craft is None
    assert not relay.artifacts  # loads and saves go straight to the catalog


def test_a_refused_save_is_not_heard(lab):
    session, steps = lab

    @hookimpl
    def after_artifact_save(name):
        heard.append(name)

    heard: list[str] = []
    plugin = type("Listener", (), {"after_artifact_save": staticmethod(after_artifact_save)})()
    with session, pytest.raises(CraftError, match="cannot be written as JSON"):
        Pipeline(steps.unwritable).run({"n": 1}, plugins=[plugin])
    with session:
        Pipeline(steps.source).run({"n": 1}, plugins=[plugin])
    assert heard == ["numbers"]


def test_one_plugin_given_twice_is_refused_in_one_line(lab):
    session, steps = lab
    journal = Journal()
    with session, pytest.raises(PluginError, match="registered twice: list it once"):
        Pipeline(steps.source).run({"n": 1}, plugins=[journal, journal])


def test_two_instances_of_a_plugin_class_both_hear_the_run(lab):
    session, steps = lab
    first, second = Journal(), Journal()
    with session:
        Pipeline(steps.source).run({"n": 1}, plugins=[first, second])
    assert first.events == second.events and first.events[0][0] == "before_run"


UNLOCATABLE = """
    from typing import ClassVar

    from statisfactory import ArtifactInteractor, Artifact, Craft, Volatile


    class Memory(ArtifactInteractor, interactor_name="test_unlocatable_memory"):
        values: ClassVar[dict] = {}

        def load(self, **context):
            return self.values[self.name]

        def save(self, asset, **context):
            self.values[self.name] = asset

        def locate(self, **context):
            raise RuntimeError("this storage cannot tell where it keeps things")


    @Craft()
    def put() -> Artifact("kept"):
        return 41


    @Craft()
    def take(kept: Artifact) -> Volatile("answer"):
        return kept + 1
"""


class Locations:
    """Hears where each artifact is loaded from and saved to."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, str]] = []

    @hookimpl
    def before_artifact_load(self, name, location):
        self.heard.append((name, location))

    @hookimpl
    def before_artifact_save(self, name, location):
        self.heard.append((name, location))


def test_an_artifact_that_cannot_be_located_still_loads_and_saves_in_a_run(session_factory):
    files = {
        "lib/unlocatable.py": UNLOCATABLE,
        "catalog/catalog.yaml": "[{name: kept, type: test_unlocatable_memory}]",
    }
    with warnings.catch_warnings():  # the type is defined by the module imported below
        warnings.simplefilter("ignore")
        session = session_factory(files)
    steps = importlib.import_module("unlocatable")
    locations = Locations()
    with session:  # the run history records its saves: the save hooks are there
        result = Pipeline(steps.put, steps.take).run(plugins=[locations])
    assert result == {"answer": 42}
    assert locations.heard == [("kept", ""), ("kept", "")]


def test_a_refused_plugin_leaves_nothing_behind_for_the_next_one_validated() -> None:
    """Plugins are validated in turn by one manager: a refused one, or one named like an
    earlier one, never changes what another is found to implement."""
    from statisfactory.plugins.manager import implementations

    class Misspelt:
        @hookimpl
        def after_crafts(self) -> None: ...

    class First:
        @hookimpl
        def after_run(self) -> None: ...

    class Second:
        @hookimpl
        def before_run(self) -> None: ...

    with pytest.raises(PluginError, match="did you mean 'after_craft'"):
        implementations(Misspelt(), "same", "a test")
    assert [i.hook for i in implementations(First(), "same", "a test")] == ["after_run"]
    assert [i.hook for i in implementations(Second(), "same", "a test")] == ["before_run"]
    with pytest.raises(PluginError, match="did you mean 'after_craft'"):  # still refused
        implementations(Misspelt(), "other", "a test")
