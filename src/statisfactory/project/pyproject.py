"""Find a project's root and read its ``[tool.statisfactory]`` table into a :class:`ProjectConfig`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from statisfactory.errors import ConfigurationError, ProjectNotFoundError
from statisfactory.project.files import read_text

PYPROJECT = "pyproject.toml"

# key -> (required, default); every value is a string, and the two tables below are separate.
_PATH_KEYS: dict[str, tuple[bool, str | None]] = {
    "project_slug": (True, None),
    "configuration": (True, None),
    "catalog": (True, None),
    "sources": (False, "lib"),
    "notebook_sources": (False, "scripts"),
    "notebook_target": (False, "jupyter"),
    "parameters": (False, None),
    "pipelines_definitions": (False, None),
}
_FACTORY_TABLES = {
    "session_factory": ("module", "factory"),
    "entrypoints": ("module", "session_factory"),  # the original's spelling
}


@dataclass(frozen=True)
class SessionFactory:
    """Where a custom session class lives: ``module`` (always imported) and ``factory`` (optional)."""

    module: str
    factory: str | None
    declared_in: str  # the TOML table, for error messages


@dataclass(frozen=True)
class ProjectConfig:
    """The validated ``[tool.statisfactory]`` table, with every path made absolute."""

    root: Path
    pyproject: Path
    project_slug: str
    configuration: Path
    catalog: Path
    sources: Path
    notebook_sources: Path
    notebook_target: str
    parameters: Path | None
    pipelines_definitions: Path | None
    session_factory: SessionFactory | None
    raw: dict[str, Any] = field(repr=False)


DEFAULT_ADVICE = (
    "Run from inside a project, pass root_folder=..., or create one with `statisfactory new NAME`."
)


def find_root(start: Path | None = None, *, advice: str = DEFAULT_ADVICE) -> Path:
    """The nearest folder at or above ``start`` whose pyproject.toml has ``[tool.statisfactory]``.

    When there is none, the error ends with ``advice``: how the caller can name a project.
    """
    start = (start or Path.cwd()).resolve()
    without_table: list[Path] = []
    for folder in (start, *start.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file():
            if "statisfactory" in read_tool_table_names(candidate):
                return folder
            without_table.append(candidate)
    hint = (
        f" Found {', '.join(map(str, without_table))} but without a [tool.statisfactory] table."
        if without_table
        else ""
    )
    raise ProjectNotFoundError(
        f"No Statisfactory project at or above {start}: no pyproject.toml with a "
        f"[tool.statisfactory] table.{hint} {advice}"
    )


def read_tool_table_names(pyproject: Path) -> set[str]:
    """The names under ``[tool]`` of a pyproject.toml (a cheap check used while searching)."""
    return set(_read_toml(pyproject).get("tool", {}))


def _read_toml(path: Path) -> dict[str, Any]:
    text = read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{path}: invalid TOML: {error}") from error


def read_project_config(root: Path) -> ProjectConfig:
    """Read and validate ``root/pyproject.toml``; errors name the file and the key."""
    root = root.resolve()
    pyproject = root / PYPROJECT
    if not pyproject.is_file():
        raise ProjectNotFoundError(
            f"{pyproject} does not exist: the project root must hold a pyproject.toml with a "
            f"[tool.statisfactory] table."
        )
    table = _read_toml(pyproject).get("tool", {}).get("statisfactory")
    if table is None:
        raise ProjectNotFoundError(
            f"{pyproject} has no [tool.statisfactory] table: add one with at least "
            f"project_slug, configuration and catalog."
        )
    if not isinstance(table, dict):
        raise ConfigurationError(f"{pyproject}: tool.statisfactory must be a table.")

    unknown = sorted(set(table) - set(_PATH_KEYS) - set(_FACTORY_TABLES))
    if unknown:
        raise ConfigurationError(
            f"{pyproject}: unknown key(s) {', '.join(map(repr, unknown))} in [tool.statisfactory]. "
            f"Known keys: {', '.join(sorted([*_PATH_KEYS, *_FACTORY_TABLES]))}."
        )
    values: dict[str, str | None] = {}
    for key, (required, default) in _PATH_KEYS.items():
        value = table.get(key, default)
        if value is None and required:
            raise ConfigurationError(
                f"{pyproject}: [tool.statisfactory] is missing the required key {key!r}, "
                f'e.g. {key} = "{_EXAMPLES[key]}".'
            )
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise ConfigurationError(
                f"{pyproject}: [tool.statisfactory] {key} must be a non-empty string, "
                f"got {type(value).__name__} {value!r}."
            )
        values[key] = value

    def path(key: str) -> Path | None:
        value = values[key]
        return (root / value).resolve() if value is not None else None

    def given(key: str) -> str:
        # Required keys were checked above and the others have a default: never None here.
        value = values[key]
        assert value is not None, key
        return value

    return ProjectConfig(
        root=root,
        pyproject=pyproject,
        project_slug=given("project_slug"),
        configuration=(root / given("configuration")).resolve(),
        catalog=(root / given("catalog")).resolve(),
        sources=(root / given("sources")).resolve(),
        notebook_sources=(root / given("notebook_sources")).resolve(),
        notebook_target=given("notebook_target"),
        parameters=path("parameters"),
        pipelines_definitions=path("pipelines_definitions"),
        session_factory=_session_factory(table, pyproject),
        raw=table,
    )


_EXAMPLES = {"project_slug": "my-project", "configuration": "conf", "catalog": "catalog"}


def _session_factory(table: dict[str, Any], pyproject: Path) -> SessionFactory | None:
    declared = [name for name in _FACTORY_TABLES if name in table]
    if len(declared) > 1:
        raise ConfigurationError(
            f"{pyproject}: declare either [tool.statisfactory.session_factory] or "
            f"[tool.statisfactory.entrypoints], not both."
        )
    if not declared:
        return None
    name = declared[0]
    module_key, factory_key = _FACTORY_TABLES[name]
    section = table[name]
    where = f"{pyproject}: [tool.statisfactory.{name}]"
    if not isinstance(section, dict):
        raise ConfigurationError(
            f"{where} must be a table with {module_key!r} and {factory_key!r}."
        )
    unknown = sorted(set(section) - {module_key, factory_key})
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"expected {module_key!r} and optionally {factory_key!r}."
        )
    module, factory = section.get(module_key), section.get(factory_key)
    if not isinstance(module, str) or not module:
        raise ConfigurationError(
            f'{where}: {module_key!r} is required, a dotted module name such as "session.custom".'
        )
    if factory is not None and (not isinstance(factory, str) or not factory):
        raise ConfigurationError(f"{where}: {factory_key!r} must be a class name (a string).")
    return SessionFactory(module=module, factory=factory, declared_in=f"tool.statisfactory.{name}")
