"""``--param`` options: ``key=value`` for every craft, ``craft:key=value`` for one craft.

Values are YAML (``0.5`` is a float, ``true`` a bool, ``[1, 2]`` a list, anything else a string).
A craft is named by its fully qualified name (``models.fit``) or its short name (``fit``).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from statisfactory.errors import ConfigurationError

FORMAT_HINT = "write --param key=value, or --param craft:key=value for one craft"


@dataclass(frozen=True)
class ParamOverride:
    """One ``--param``: ``craft`` is None for a key shared by every craft."""

    craft: str | None
    key: str
    value: Any


def parse_param(text: str) -> ParamOverride:
    """Parse one ``--param`` value; a malformed one is a :class:`ConfigurationError`."""
    target, equal, raw_value = text.partition("=")
    if not equal:
        raise ConfigurationError(f"--param {text!r} has no '=': {FORMAT_HINT}.")
    craft, colon, key = target.rpartition(":")
    craft, key = craft.strip(), key.strip()
    if not key or (colon and not craft):
        raise ConfigurationError(f"--param {text!r} has an empty name: {FORMAT_HINT}.")
    return ParamOverride(craft=craft or None, key=key, value=_parse_value(raw_value, text))


def _parse_value(raw: str, text: str) -> Any:
    from statisfactory.project.templating import parse_yaml
    from statisfactory.secrets import is_secret_key

    if raw.strip() == "":
        return ""
    target = text.partition("=")[0]
    if is_secret_key(target.rpartition(":")[2]):
        shown = f"{target}=***"  # the value of a secret never reaches a message
    else:
        shown = text if len(text) <= 60 else f"{text[:57]}..."
    return parse_yaml(
        raw,
        source=f"--param {shown!r}",
        hint=f"quote the value for a string, e.g. --param '{target}=\"...\"'",
    )


def apply_overrides(
    parameters: Mapping[str, Any],
    overrides: Iterable[ParamOverride],
    crafts: Iterable[tuple[str, str]],
) -> dict[str, Any]:
    """A copy of ``parameters`` with the overrides applied (later ones win).

    ``crafts`` are the pipeline's ``(fully qualified name, short name)`` pairs: a craft override
    joins the set's existing entry for that craft, whichever name the set used.
    """
    merged = copy.deepcopy(dict(parameters))
    crafts = list(crafts)
    for override in overrides:
        if override.craft is None:
            merged[override.key] = override.value
            continue
        names = _craft_names(override.craft, crafts)
        key = next((name for name in names if name in merged), override.craft)
        entry = merged.setdefault(key, {})
        if not isinstance(entry, dict):
            raise ConfigurationError(
                f"--param {override.craft}:{override.key}: the parameter set maps "
                f"{key!r} to {entry!r}, not to a mapping of the craft's parameters."
            )
        entry[override.key] = override.value
    return merged


def _craft_names(name: str, crafts: list[tuple[str, str]]) -> tuple[str, str]:
    for qualified, short in crafts:
        if name in (qualified, short):
            return qualified, short
    known = sorted({n for pair in crafts for n in pair})
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise ConfigurationError(
        f"--param {name}:...: the pipeline has no craft {name!r}.{hint} "
        f"Its crafts are: {', '.join(q for q, _ in crafts) or 'none'}."
    )


def unreflected_overrides(
    overrides: Iterable[ParamOverride], crafts: Iterable[Any], variables_of: Any
) -> list[str]:
    """Warnings for the craft-scoped overrides of a key that fills ``!{}`` in the paths of
    artifacts other crafts read or write: those crafts resolve the paths with the key's other
    value, so the paths do not reflect the override (``variables_of(name)``: the ``!{}`` names
    of artifact ``name``)."""
    crafts = list(crafts)
    warnings = []
    for override in overrides:
        if override.craft is None:
            continue
        others: dict[str, list[str]] = {}
        for craft in crafts:
            if override.craft in (craft.fqname, craft.name):
                continue
            names = [name for _, name in craft.signature.artifacts] + list(craft.saves)
            for name in names:
                if override.key in variables_of(name):
                    others.setdefault(name, []).append(craft.fqname)
        if others:
            shown = "; ".join(f"{name} (by {', '.join(by)})" for name, by in others.items())
            warnings.append(
                f"--param {override.craft}:{override.key}={override.value} applies to "
                f"{override.craft} only, but !{{{override.key}}} also locates artifacts other "
                f"crafts read or write, whose paths will not reflect it: {shown}. Give "
                f"--param {override.key}=... to change it for every craft"
            )
    return warnings
