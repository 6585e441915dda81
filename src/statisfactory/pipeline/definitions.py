"""Pipeline definitions: pipelines declared in YAML, built from crafts on first access.

```yaml
training:
  +tags: [ml]
  +operators:
    - jupyter.prepare.split      # dotted path to a craft (or pipeline) importable from `sources`
    - models.fit
full:
  +operators: [ingest, training] # other pipelines; dependencies are solved again
```

Reading the files imports no user code: names, tags and operators are known at once, and a
pipeline's modules are imported when it is first asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from statisfactory.collector import collector_paused
from statisfactory.errors import DefinitionError, UnknownPipelineError
from statisfactory.IO.parse_cache import yaml_reader
from statisfactory.pipeline.craft import Craft
from statisfactory.pipeline.pipeline import Pipeline
from statisfactory.project.names import named_entries, names, unknown

KEYS = ("+operators", "+tags")
_SHAPE = "a pipelines file is a mapping of pipeline name -> definition"


@dataclass(frozen=True)
class PipelineDefinition:
    """A pipeline as declared: its operators are not imported yet."""

    name: str
    source: Path
    operators: tuple[str, ...]
    tags: tuple[str, ...]


class PipelinesDefinitions(Mapping[str, Pipeline]):
    """Name -> :class:`~statisfactory.pipeline.Pipeline`, each built (and kept) on first access."""

    def __init__(self, definitions: Mapping[str, PipelineDefinition]) -> None:
        self._definitions = dict(definitions)
        self._built: dict[str, Pipeline] = {}

    def __getitem__(self, name: str) -> Pipeline:
        if name not in self._definitions:
            raise UnknownPipelineError(unknown(name, "pipeline", self._definitions, "Defined"))
        if name in self._built:
            return self._built[name]
        # Importing the crafts' modules builds thousands of crafts that make no cycles, and the
        # collector's full passes over the growing heap would be most of that time (see
        # collector.py); what a module leaves as cyclic garbage is collected after.
        with collector_paused():
            return self._build(name, ())

    def __iter__(self) -> Iterator[str]:
        return iter(self._definitions)

    def __len__(self) -> int:
        return len(self._definitions)

    def __contains__(self, name: object) -> bool:
        return name in self._definitions

    def names(self) -> list[str]:
        """The pipeline names, in declaration order."""
        return list(self._definitions)

    def tags(self, name: str) -> tuple[str, ...]:
        """The ``+tags`` of pipeline ``name`` (nothing is imported)."""
        return self.definition(name).tags

    def definition(self, name: str) -> PipelineDefinition:
        """The declaration of pipeline ``name``: file, operators, tags (nothing is imported)."""
        if name not in self._definitions:
            self[name]  # raises the helpful error
        return self._definitions[name]

    def listed_operators(self, name: str) -> set[str]:
        """The dotted operators pipeline ``name`` lists, through the pipelines it includes
        (nothing is imported; a cycle is reported when the pipeline is built)."""
        listed: set[str] = set()
        pending, seen = [name], set()
        while pending:
            current = pending.pop()
            if current in seen or current not in self._definitions:
                continue
            seen.add(current)
            for operator in self._definitions[current].operators:
                if operator in self._definitions:
                    pending.append(operator)
                else:
                    listed.add(operator)
        return listed

    def __repr__(self) -> str:
        return f"PipelinesDefinitions({self.names()})"

    # --- building -----------------------------------------------------------------------------
    def _build(self, name: str, chain: tuple[str, ...]) -> Pipeline:
        if name in self._built:
            return self._built[name]
        definition = self._definitions[name]
        if name in chain:
            cycle = " -> ".join((*chain[chain.index(name) :], name))
            raise DefinitionError(
                f"{definition.source}: pipeline '{name}' includes itself through its operators: "
                f"{cycle}. Remove one of these references"
            )
        pipeline = Pipeline(name=name, tags=definition.tags)
        for operator in definition.operators:
            if operator in self._definitions:
                pipeline += self._build(operator, (*chain, name))
            else:
                pipeline += _import_operator(definition, operator)
        self._built[name] = pipeline
        return pipeline


def _import_operator(definition: PipelineDefinition, operator: str) -> Any:
    where = f"{definition.source}: pipeline '{definition.name}', operator '{operator}'"
    module_name, _, attribute = operator.rpartition(".")
    if not module_name:
        raise DefinitionError(
            f"{where}: no pipeline has this name, and it is not a dotted path "
            "'package.module.craft'. Define the pipeline, or write the craft's full path"
        )
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise DefinitionError(
            f"{where}: module '{module_name}' cannot be imported ({type(error).__name__}: "
            f"{error}). Crafts are imported from the project's `sources` folder; check the "
            "path, or fix the module"
        ) from error
    value = getattr(module, attribute, None)
    if value is None:
        raise DefinitionError(
            f"{where}: module '{module_name}' has no attribute '{attribute}'. "
            "Check the craft's name, or define it in that module"
        )
    if not isinstance(value, Craft | Pipeline):
        raise DefinitionError(
            f"{where}: {operator} is a {type(value).__name__}, not a craft: decorate the "
            "function with @Craft(), or point to a Pipeline"
        )
    return value


# --- reading ------------------------------------------------------------------------------
def load_pipelines_definitions(
    path: Path | None, variables: Mapping[str, Any], *, cache_folder: Path | None = None
) -> PipelinesDefinitions:
    """Read the pipeline definitions of a YAML file or folder (Jinja-rendered with ``variables``),
    parsed files remembered in ``cache_folder`` when one is given (see parse_cache.py).

    ``None`` (not configured) gives no pipelines. Nothing is imported until a pipeline is used.
    """
    definitions: dict[str, PipelineDefinition] = {}
    read = yaml_reader(variables, cache_folder)
    found = named_entries(Path(path), variables, _SHAPE, DefinitionError, read) if path else ()
    for file, name, body in found:
        definition = _define(file, name, body)
        if name in definitions:
            raise DefinitionError(
                f"Pipeline '{name}' is defined in {definitions[name].source} and in {file}: "
                "rename one of them"
            )
        definitions[name] = definition
    return PipelinesDefinitions(definitions)


def _define(file: Path, name: Any, body: Any) -> PipelineDefinition:
    where = f"{file}: pipeline '{name}'"
    if not isinstance(name, str):
        raise DefinitionError(f"{file}: pipeline names are strings, got {name!r}")
    if isinstance(body, list):  # the short form: `name: [op, op]`
        body = {"+operators": body}
    if not isinstance(body, dict):
        raise DefinitionError(
            f"{where} must be a mapping with +operators (and optionally +tags), "
            f"got a {type(body).__name__}"
        )
    unknown = [key for key in body if key not in KEYS]
    if unknown:
        raise DefinitionError(f"{where}: unknown key(s) {unknown}; known: {', '.join(KEYS)}")
    if "+operators" not in body:
        raise DefinitionError(f"{where} has no +operators: list its crafts or pipelines")
    return PipelineDefinition(
        name=name,
        source=file,
        operators=names(body["+operators"], "+operators", where, DefinitionError),
        tags=names(body.get("+tags", ()), "+tags", where, DefinitionError),
    )
