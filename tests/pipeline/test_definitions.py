"""Pipeline definitions: lazy YAML pipelines built from crafts and other pipelines."""

import sys

import pytest

from statisfactory.errors import DefinitionError
from statisfactory.pipeline import Pipeline

MODELS = """
    from statisfactory import Craft, Volatile


    @Craft()
    def prepare(size: int = 3) -> Volatile("data"):
        return list(range(size))

    @Craft()
    def fit(data: Volatile, alpha: float = 1.0) -> Volatile("model"):
        return sum(data) * alpha

    @Craft()
    def report(model: Volatile) -> Volatile("report"):
        return f"model={model}"

    not_a_craft = 42
    """

DEFINITIONS = """
    training:
      +tags: [ml]
      +operators:
        - models.prepare
        - models.fit
    full:
      +operators: [training, models.report]
    {% for name in extra_pipelines %}
    {{ name }}: [models.prepare]
    {% endfor %}
    """


@pytest.fixture
def session(session_factory):
    return session_factory(
        {
            "lib/models.py": MODELS,
            "pipelines/definitions/pipelines.yaml": DEFINITIONS,
            "conf/globals.yaml": "extra_pipelines: [again]\n",
        }
    )


def test_names_and_tags_are_known_without_importing_user_code(session):
    definitions = session.pipelines_definitions
    assert definitions.names() == ["training", "full", "again"]
    assert definitions.tags("training") == ("ml",)
    assert definitions.tags("full") == ()
    assert definitions.definition("full").operators == ("training", "models.report")
    assert "models" not in sys.modules


def test_a_pipeline_is_built_on_first_access_and_runs(session):
    training = session.pipelines_definitions["training"]
    assert isinstance(training, Pipeline)
    assert (training.name, training.tags) == ("training", ("ml",))
    assert str(training) == "training: prepare -> fit"
    assert training(size=4, fit={"alpha": 2}) == {"data": [0, 1, 2, 3], "model": 12}
    assert session.pipelines_definitions["training"] is training


def test_pipelines_include_other_pipelines(session):
    full = session.pipelines_definitions["full"]
    assert str(full) == "full: prepare -> fit -> report"
    assert full()["report"] == "model=3.0"


DEFINITION_ERRORS = [
    ("broken: [nowhere.prepare]", r"pipeline 'broken', operator 'nowhere.prepare'.*cannot be imp"),
    ("broken: [models.missing]", r"operator 'models.missing'.*has no attribute 'missing'"),
    ("broken: [models.not_a_craft]", r"models.not_a_craft is a int, not a craft"),
    ("broken: [undeclared]", r"operator 'undeclared': no pipeline has this name"),
    ("a: [b]\nb: [c]\nc: [a]", r"pipeline 'a' includes itself.*a -> b -> c -> a"),
]


@pytest.mark.parametrize("text, message", DEFINITION_ERRORS)
def test_errors_name_the_pipeline_and_the_operator(session_factory, text, message):
    session = session_factory(
        {"lib/models.py": MODELS, "pipelines/definitions/bad.yaml": text + "\n"}
    )
    first = session.pipelines_definitions.names()[0]
    with pytest.raises(DefinitionError, match=message) as info:
        session.pipelines_definitions[first]
    assert "bad.yaml" in str(info.value)


def test_an_import_error_is_chained(session_factory):
    session = session_factory(
        {
            "lib/fragile.py": "raise RuntimeError('module is broken')\n",
            "pipelines/definitions/p.yaml": "p: [fragile.craft]\n",
        }
    )
    with pytest.raises(DefinitionError, match="module is broken") as info:
        session.pipelines_definitions["p"]
    assert isinstance(info.value.__cause__, RuntimeError)


@pytest.mark.parametrize(
    "text, message",
    [
        ("p: {+tags: [x]}", r"pipeline 'p' has no \+operators"),
        ("p: {operators: [a]}", r"pipeline 'p': unknown key\(s\) \['operators'\]"),
        ("p: 3", r"pipeline 'p' must be a mapping"),
        ("p: {+operators: a.b, +tags: {x: 1}}", r"pipeline 'p': \+tags must be a name or a list"),
    ],
)
def test_malformed_declarations_fail_when_read(project_factory, text, message):
    from statisfactory.pipeline.definitions import load_pipelines_definitions

    root = project_factory({"pipelines/definitions/p.yaml": text + "\n"})
    with pytest.raises(DefinitionError, match=message):
        load_pipelines_definitions(root / "pipelines" / "definitions", {})


def test_the_same_name_in_two_files_is_an_error_naming_both(project_factory):
    from statisfactory.pipeline.definitions import load_pipelines_definitions

    root = project_factory(
        {"pipelines/definitions/a.yaml": "p: [x.y]\n", "pipelines/definitions/b.yaml": "p: [x.z]\n"}
    )
    with pytest.raises(DefinitionError, match=r"'p' is defined in .*a.yaml and in .*b.yaml"):
        load_pipelines_definitions(root / "pipelines" / "definitions", {})


def test_unknown_pipeline_suggests_close_names(session):
    with pytest.raises(DefinitionError, match="No pipeline named 'trainig'. Did you mean training"):
        session.pipelines_definitions["trainig"]
    assert "trainig" not in session.pipelines_definitions


def test_none_means_no_pipelines():
    from statisfactory.pipeline.definitions import load_pipelines_definitions

    assert load_pipelines_definitions(None, {}).names() == []


COUNTED = """
    import gc

    from statisfactory import Craft, Volatile

    COLLECTOR_ON_AT_IMPORT = gc.isenabled()


    @Craft()
    def one() -> Volatile("one"):
        return 1
    """


def test_crafts_modules_are_imported_with_the_collector_paused_then_restored(session_factory):
    import gc

    session = session_factory(
        {
            "lib/counted.py": COUNTED,
            "lib/fragile.py": "raise RuntimeError('module is broken')\n",
            "pipelines/definitions/p.yaml": "p: [counted.one]\nbroken: [fragile.craft]\n",
        }
    )
    assert len(session.pipelines_definitions["p"]) == 1
    assert sys.modules["counted"].COLLECTOR_ON_AT_IMPORT is False
    assert gc.isenabled()
    with pytest.raises(DefinitionError, match="module is broken"):
        session.pipelines_definitions["broken"]
    assert gc.isenabled()


def test_sessions_remember_the_parsed_definitions_and_follow_edits(session_factory):
    from statisfactory import Session

    session = session_factory(
        {
            "lib/models.py": MODELS,
            "pipelines/definitions/pipelines.yaml": DEFINITIONS,
            "conf/globals.yaml": "extra_pipelines: [again]\n",
        }
    )
    root = session.root
    assert "again" in session.pipelines_definitions.names()
    cached = list((root / ".statisfactory/cache/pipelines").iterdir())
    assert len(cached) == 1  # the next session reads this instead of rendering and parsing
    assert sorted(Session(root_folder=root).pipelines_definitions.names()) == [
        "again",
        "full",
        "training",
    ]
    (root / "conf/globals.yaml").write_text("extra_pipelines: [other]\n")  # a variable
    assert "other" in Session(root_folder=root).pipelines_definitions.names()
    (root / "pipelines/definitions/pipelines.yaml").write_text("solo: [models.prepare]\n")
    assert Session(root_folder=root).pipelines_definitions.names() == ["solo"]
    (root / "pipelines/definitions/pipelines.yaml").write_text("solo: {+tags: [x]}\n")
    for _ in range(2):  # parsed, then read from the cache: still checked
        with pytest.raises(DefinitionError, match=r"pipeline 'solo' has no \+operators"):
            Session(root_folder=root)
