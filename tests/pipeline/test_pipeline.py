"""Pipelines: composition, solved order, run parameters and the errors raised before running."""

import json

import pytest

from statisfactory.errors import (
    ArtifactNotFoundError,
    CraftError,
    NoActiveSessionError,
    PipelineError,
)
from statisfactory.pipeline import Artifact, Craft, Pipeline, Volatile


@Craft()
def source(start: int = 1) -> Volatile("a"):
    return start


@Craft()
def double(a: Volatile) -> Volatile("b"):
    return 2 * a


@Craft()
def square(a: Volatile) -> Volatile("c"):
    return a * a


@Craft()
def combine(b: Volatile, c: Volatile) -> Volatile("d"):
    return b + c


def test_sum_builds_new_pipelines_and_leaves_operands_unchanged():
    first = source + double
    second = first + square
    third = first + (square + combine)
    assert isinstance(first, Pipeline)
    assert first.crafts == (source, double)
    assert second.crafts == (source, double, square)
    assert third.crafts == (source, double, square, combine)
    assert sum([source, double]).crafts == (source, double)


def test_in_place_sum_extends_and_a_craft_is_kept_once():
    pipeline = Pipeline(name="grow", tags=["x"])
    pipeline += source
    pipeline += source + double
    assert pipeline.crafts == (source, double)
    assert (pipeline.name, pipeline.tags) == ("grow", ("x",))
    assert pipeline() == {"a": 1, "b": 2}
    pipeline += square
    assert pipeline() == {"a": 1, "b": 2, "c": 1}


def test_order_is_solved_from_data_and_printed_by_batches():
    pipeline = combine + square + double + source
    # crafts of a batch keep the order they were added in
    assert str(pipeline) == "source -> [square, double] -> combine"
    assert [[c.name for c in batch] for batch in pipeline.batches] == [
        ["source"],
        ["square", "double"],
        ["combine"],
    ]
    assert str(Pipeline(source, name="tiny")) == "tiny: source"
    assert "batch 2" in pipeline.describe() and "reads a" in pipeline.describe()


def test_run_returns_every_volatile_and_shares_keys_with_every_craft():
    assert (combine + square + double + source)(start=3) == {"a": 3, "b": 6, "c": 9, "d": 15}


def test_namespaced_keys_go_to_one_craft_and_override_shared_keys():
    @Craft()
    def scaled(a: Volatile, factor: int = 1) -> Volatile("scaled"):
        return a * factor

    @Craft()
    def shifted(a: Volatile, factor: int = 1) -> Volatile("shifted"):
        return a + factor

    pipeline = source + scaled + shifted
    assert pipeline(factor=10) == {"a": 1, "scaled": 10, "shifted": 11}
    state = pipeline(factor=10, scaled={"factor": 3}, **{shifted.fqname: {"factor": 0}})
    assert state == {"a": 1, "scaled": 3, "shifted": 1}
    # the qualified name wins over the short one
    state = pipeline(scaled={"factor": 3}, **{scaled.fqname: {"factor": 4}})
    assert state["scaled"] == 4


def test_namespaced_value_must_be_a_mapping():
    with pytest.raises(PipelineError, match=r"^Pipeline 'p': .*'double'.*must be a mapping.*int"):
        Pipeline(source, double, name="p")(double=3)


def test_ambiguous_short_name_must_be_qualified():
    def make():
        @Craft()
        def twin() -> Volatile("t1"):
            return 1

        return twin

    first = make()

    @Craft()
    def twin() -> Volatile("t2"):
        return 2

    first.fqname = "elsewhere.twin"  # same short name, another module
    with pytest.raises(PipelineError, match="several crafts"):
        (first + twin)(twin={})


def test_duplicate_producers_are_an_error_naming_both_crafts():
    @Craft()
    def other_source() -> Volatile("a"):
        return 0

    with pytest.raises(PipelineError, match=r"source' and '.*other_source' both produce 'a'"):
        (source + other_source)()


def test_cycle_is_an_error_listing_it():
    @Craft()
    def ping(pong: Volatile) -> Volatile("ping"):
        return pong

    @Craft()
    def pong(ping: Volatile) -> Volatile("pong"):
        return ping

    pipeline = ping + pong
    with pytest.raises(PipelineError, match=r"cycle: .*ping -> .*pong -> .*ping"):
        pipeline()
    assert "cannot be solved" in str(pipeline)


def test_volatile_nobody_produces_without_default_is_an_error():
    with pytest.raises(PipelineError, match=r"double' needs volatile 'a'"):
        Pipeline(double)()


def test_volatile_default_is_used_when_nobody_produces_it():
    @Craft()
    def optional(a: Volatile = 40) -> Volatile("z"):
        return a + 2

    assert Pipeline(optional)() == {"z": 42}


def test_reading_a_volatile_produced_as_an_artifact_is_an_error():
    @Craft()
    def saves() -> Artifact("a"):
        return 1

    with pytest.raises(PipelineError, match="reads 'a' as volatile.*returns it as artifact"):
        (saves + double)()


def test_missing_parameter_fails_before_anything_runs():
    ran = []

    @Craft()
    def first() -> Volatile("x"):
        ran.append("first")
        return 1

    @Craft()
    def second(x: Volatile, alpha: float) -> Volatile("y"):
        return x * alpha

    with pytest.raises(CraftError, match=r"second' needs parameter\(s\) \['alpha'\]"):
        (first + second)()
    assert ran == []
    assert (first + second)(alpha=2.0) == {"x": 1, "y": 2.0}


def test_a_failing_craft_is_a_craft_error_naming_it():
    @Craft()
    def explode(a: Volatile) -> Volatile("boom"):
        raise ZeroDivisionError("no")

    with pytest.raises(CraftError, match=r"explode' failed: ZeroDivisionError: no") as info:
        (source + explode)()
    assert isinstance(info.value.__cause__, ZeroDivisionError)


CATALOG = {
    "catalog/catalog.yaml": """
        - name: samples
          type: json
          extra: {path: "data/samples_!{n}.json"}
        - name: summary
          type: json
          extra: {path: "data/summary_!{n}_!{label}.json"}
        """
}


@Craft()
def simulate(n: int = 2) -> Artifact("samples"):
    return list(range(n))


@Craft()
def summarise(samples: Artifact) -> Artifact("summary"):
    return {"total": sum(samples)}


def test_run_keys_and_defaults_fill_the_context_of_every_craft(session_factory):
    session = session_factory(CATALOG)
    pipeline = summarise + simulate
    with session:
        simulate()  # alone, the craft's default n=2 fills !{n}
        pipeline(n=2, label="a")  # `label` is no craft's parameter, yet fills !{label}
        pipeline(n=4, label="b")
        pipeline(n=5, summarise={"label": "only-here"})
    data = session.root / "data"
    assert sorted(p.name for p in data.iterdir()) == [
        "samples_2.json",
        "samples_4.json",
        "samples_5.json",
        "summary_2_a.json",
        "summary_4_b.json",
        "summary_5_only-here.json",
    ]
    assert json.loads((data / "summary_4_b.json").read_text()) == {"total": 6}


def test_artifact_missing_from_the_catalog_fails_before_anything_runs(session_factory):
    @Craft()
    def lost(samples: Artifact) -> Artifact("not_declared"):
        return samples

    session = session_factory(CATALOG)
    with session, pytest.raises(ArtifactNotFoundError, match=r"lost' saves artifact 'not_dec"):
        (simulate + lost)(n=1)
    assert not (session.root / "data").exists()


def test_artifacts_need_a_session():
    with pytest.raises(NoActiveSessionError, match=r"simulate.*with session"):
        (simulate + summarise)()


def test_pipeline_hooks_see_the_pipeline_and_its_error():
    events = []

    class Watched(Pipeline):
        pass

    @Watched.hook_pre_run()
    def before(target):
        events.append(("pre", target.name))

    @Watched.hook_post_run()
    def after(target):
        events.append(("post", target.name))

    @Watched.hook_on_error()
    def failed(target, error):
        events.append(("error", target.name, type(error).__name__))

    @Craft()
    def explode() -> Volatile("x"):
        raise RuntimeError("no")

    Watched(source, name="good")()
    with pytest.raises(CraftError):
        Watched(explode, name="bad")()
    assert events == [
        ("pre", "good"),
        ("post", "good"),
        ("pre", "bad"),
        ("error", "bad", "CraftError"),
    ]


def test_mermaid_and_graphviz_drawings_show_crafts_and_data():
    pipeline = combine + square + double + source
    text = pipeline.mermaid()
    assert text.startswith("flowchart")
    assert '"combine"' in text and '"a"' in text and "-->" in text
    graph = pipeline.plot()
    assert "combine" in graph.source and "->" in graph.source


@Craft()
def write_report(out_dir: str = "reports") -> Artifact("located_report"):
    return "figures"


@Craft()
def read_report(located_report: Artifact) -> Volatile("read_back"):
    return located_report


def test_a_parameter_that_would_move_an_artifact_stops_the_run_before_it_starts(
    session_factory, tmp_path
):
    from statisfactory.errors import DynamicValueError

    session = session_factory(
        {
            "catalog/catalog.yaml": """
                - name: located_report
                  type: text
                  extra: {path: "!{out_dir}/report.txt"}
            """
        }
    )
    outside = tmp_path / "outside"
    with session, pytest.raises(DynamicValueError) as raised:
        (write_report + read_report).run({"out_dir": f"file://{outside}"})
    assert "write_report" in str(raised.value) and "!{out_dir}" in str(raised.value)
    assert not outside.exists() and not list(session.root.rglob("report.txt"))
    with session:
        assert (write_report + read_report).run({"out_dir": "r1"}) == {"read_back": "figures"}
