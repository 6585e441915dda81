"""Read catalog files into :class:`Artifact` entries, with cheap up-front checks.

Each file is a Jinja2 template (rendered from the settings) holding either a list of entries with
a ``name``, or a mapping name -> entry. Only what is cheap is checked here (names, types, the
presence of ``extra.path``); each interactor validates ``extra`` fully on first use.
Parsed files are remembered in ``cache_folder`` when one is given (see parse_cache.py).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from statisfactory.collector import collector_paused
from statisfactory.errors import CatalogError, UnknownTypeWarning
from statisfactory.IO.artifact import Artifact
from statisfactory.IO.interactors.base import FILE_TYPES, is_known_type, known_types, unknown_type
from statisfactory.IO.parse_cache import yaml_reader
from statisfactory.project.templating import yaml_files

ENTRY_KEYS = (
    "name",
    "type",
    "extra",
    "load_options",
    "save_options",
    "+tags",
    "+dynamic_location",
    "versioned",
    "versions",
)
_ENTRY_KEYS = frozenset(ENTRY_KEYS)


def read_catalog(
    path: Path, variables: Mapping[str, Any], *, cache_folder: Path | None = None
) -> dict[str, Artifact]:
    """Every entry declared in ``path`` (a YAML file, or a folder searched recursively)."""
    with collector_paused():  # thousands of entries, no cycles: see collector.py
        return _read_catalog(path, variables, cache_folder)


def _read_catalog(
    path: Path, variables: Mapping[str, Any], cache_folder: Path | None
) -> dict[str, Artifact]:
    artifacts: dict[str, Artifact] = {}
    read = yaml_reader(variables, cache_folder, CatalogError)
    for file in yaml_files(path):
        for artifact in read_catalog_file(file, read):
            known = artifacts.get(artifact.name)
            if known is not None:
                places = (
                    f"twice in {file}"
                    if known.source == file
                    else (f"twice: in {known.source} and in {file}")
                )
                raise CatalogError(
                    f"artifact {artifact.name!r} is declared {places}; rename or remove one"
                )
            artifacts[artifact.name] = artifact
    return artifacts


def read_catalog_file(file: Path, read: Callable[[Path], Any]) -> list[Artifact]:
    """The entries of one catalog file, in the order they are written; ``read(file)`` gives
    its parsed content (:func:`~statisfactory.IO.parse_cache.yaml_reader`)."""
    content = read(file)
    if content is None:
        return []
    if isinstance(content, list):
        entries = [(None, entry, index) for index, entry in enumerate(content)]
    elif isinstance(content, Mapping):
        entries = [(name, entry, index) for index, (name, entry) in enumerate(content.items())]
    else:
        raise CatalogError(
            f"{file}: a catalog file holds a list of entries (each with a 'name') or a mapping "
            f"of name -> entry, not a {type(content).__name__}"
        )
    return [_entry(file, name, entry, index) for name, entry, index in entries]


def _entry(file: Path, key: Any, entry: Any, index: int) -> Artifact:
    # Run for each of thousands of entries: the places in messages are written only on error,
    # and a parsed dict is told by its type before the (slower) Mapping ABC is asked.
    if type(entry) is not dict and not isinstance(entry, Mapping):
        raise CatalogError(
            f"{_label(file, key, index)}: an entry is a mapping of {', '.join(ENTRY_KEYS)}"
        )
    name = entry.get("name", key)
    if key is not None and "name" in entry and entry["name"] != key:
        raise CatalogError(
            f"{_label(file, key, index)}: its 'name' ({entry['name']!r}) differs from its key"
        )
    if not isinstance(name, str) or not name:
        raise CatalogError(
            f"{_label(file, key, index)}: 'name' {_not_text(name)}; give every entry a name"
        )
    if not _ENTRY_KEYS.issuperset(entry):
        unknown = [k for k in entry if k not in _ENTRY_KEYS]
        raise CatalogError(
            f"{_where(file, name)}: unknown key(s) {', '.join(map(repr, unknown))}; an entry "
            f"accepts {', '.join(ENTRY_KEYS)}"
        )
    kind = entry.get("type")
    if not isinstance(kind, str) or not kind:
        raise CatalogError(
            f"{_where(file, name)}: 'type' {_not_text(kind)}; one of {', '.join(known_types())}"
        )
    if not is_known_type(kind):  # the other artifacts stay usable; using this one is the error
        warnings.warn(
            f"{_where(file, name)}: {unknown_type(kind)}", UnknownTypeWarning, stacklevel=2
        )
    extra = _mapping(entry, "extra", file, name)
    if kind in FILE_TYPES and not isinstance(extra.get("path"), str):
        raise CatalogError(
            f"{_where(file, name)}: 'extra.path' {_not_text(extra.get('path'))}; a {kind} "
            f"artifact is a file"
        )
    tags = entry.get("+tags") or []
    if tags and (not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags)):
        raise CatalogError(f"{_where(file, name)}: '+tags' is a list of strings")
    dynamic_location = entry.get("+dynamic_location", False)
    if not isinstance(dynamic_location, bool):
        raise CatalogError(
            f"{_where(file, name)}: '+dynamic_location' is {dynamic_location!r}; write true or "
            f"false (true lets !{{}} values choose the storage scheme, bucket and root of "
            f"extra.path)"
        )
    versioned = entry.get("versioned")
    if versioned is not None and not isinstance(versioned, bool):
        raise CatalogError(
            f"{_where(file, name)}: 'versioned' is {versioned!r}; write true (keep every saved version) or false"
        )
    return Artifact(
        name=name,
        type=kind,
        extra=extra,
        load_options=_mapping(entry, "load_options", file, name),
        save_options=_mapping(entry, "save_options", file, name),
        tags=tuple(tags),
        source=file,
        dynamic_location=dynamic_location,
        versioned=versioned,
        keep=keep_policy(entry["versions"], _where(file, name)) if "versions" in entry else None,
    )


def keep_policy(value: Any, where: str) -> int | None:
    """``N`` of ``versions: {keep: N}`` (how many versions gc keeps), or None when unset."""
    if value is None:
        return None
    keep = value.get("keep") if isinstance(value, Mapping) else None
    if (
        not isinstance(value, Mapping)
        or set(value) - {"keep"}
        or (not isinstance(keep, int) or isinstance(keep, bool) or keep < 1)
    ):
        raise CatalogError(
            f"{where}: 'versions' is {value!r}; write versions: {{keep: N}}, N >= 1 the number "
            f"of versions gc keeps"
        )
    return keep


def _label(file: Path, key: Any, index: int) -> str:
    """The place of an entry whose name is not known yet."""
    return f"{file}, entry {key!r}" if key is not None else f"{file}, entry #{index + 1}"


def _where(file: Path, name: str) -> str:
    return f"{file}, artifact {name!r}"


def _not_text(value: Any) -> str:
    """Why ``value`` is not a usable name, type or path."""
    if value is None or value == "":
        return "is missing"
    return f"is {value!r} ({type(value).__name__}), not a string: quote it"


def _mapping(entry: Mapping[str, Any], key: str, file: Path, name: str) -> dict[str, Any]:
    value = entry.get(key)
    if value is None:
        return {}
    if type(value) is not dict and not isinstance(value, Mapping):
        raise CatalogError(
            f"{_where(file, name)}: {key!r} is a mapping, not a {type(value).__name__}"
        )
    return dict(value)
