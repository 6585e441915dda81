"""What ``statisfactory run`` runs: a pipeline (or a single craft) sliced by ``--crafts``,
``--from``, ``--to`` and ``--tags``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from statisfactory.errors import UnknownPipelineError

if TYPE_CHECKING:
    from statisfactory.pipeline.pipeline import Pipeline


def chosen_pipeline(
    session: Any,
    name: str,
    *,
    crafts: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    tags: str | None = None,
) -> Pipeline:
    """Pipeline ``name`` (or the craft of that name, alone, when no pipeline has it), keeping
    the crafts every given option selects; each option is a comma-separated list."""
    pipeline = _pipeline_or_craft(session.pipelines_definitions, name)
    options = {"crafts": crafts, "from_": from_, "to": to, "tags": tags}
    given = {key: _names(key, value) for key, value in options.items() if value is not None}
    return pipeline.slice(**given) if given else pipeline


def _names(option: str, text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        import click

        flag = "--" + option.rstrip("_")
        raise click.UsageError(f"{flag} {text!r}: give one or more comma-separated names")
    return names


def _pipeline_or_craft(definitions: Any, name: str) -> Pipeline:
    try:
        return definitions[name]
    except UnknownPipelineError as error:
        unknown = error
    from statisfactory.pipeline.pipeline import Pipeline

    for pipeline_name in _listing_first(definitions, name):  # a single craft, alone
        for craft in definitions[pipeline_name].crafts:
            if name in (craft.name, craft.fqname):
                return Pipeline(craft, name=craft.name)
    raise UnknownPipelineError(
        f"{unknown}; no craft of these pipelines is called '{name}' either", key=name
    ) from None


def _listing_first(definitions: Any, name: str) -> list[str]:
    """The pipeline names, those that list craft ``name`` (its full path or its last part)
    first: building a pipeline imports its modules, so the others are built only if none of
    these has it (a craft listed under another name)."""
    listing = [
        pipeline
        for pipeline in definitions
        if any(
            name in (operator, operator.rpartition(".")[2])
            for operator in definitions.listed_operators(pipeline)
        )
    ]
    return listing + [pipeline for pipeline in definitions if pipeline not in listing]
