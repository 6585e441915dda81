"""The one rule for what parameters each craft of a run gets: the run's shared keys,
overridden by the mapping given under the craft's short name, then under its qualified name.

A key equal to a craft's qualified or short name is that craft's own, and must be a mapping.
A key that no craft takes, no ``!{}`` of their artifacts uses and no ``**kwargs`` absorbs is
unused (:func:`unused_keys`): a mapping is then a misspelt craft's (an error), anything else
a warning, or an error in a strict run.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from statisfactory.errors import PipelineError, UnusedParameterWarning

if TYPE_CHECKING:
    from statisfactory.pipeline.craft import Craft


def per_craft(
    crafts: Sequence[Craft], params: Mapping[str, Any], pipeline: str
) -> list[Mapping[str, Any]]:
    """Each craft's parameters: shared keys, overridden by the keys namespaced to that craft.

    A key equal to a craft's fully qualified or short name is namespaced and must be a mapping.
    """
    by_name: dict[str, list[int]] = {}
    for index, craft in enumerate(crafts):
        by_name.setdefault(craft.fqname, []).append(index)
        if craft.name != craft.fqname:
            by_name.setdefault(craft.name, []).append(index)
    shared = {key: value for key, value in params.items() if key not in by_name}
    if len(shared) == len(params):
        return [shared] * len(crafts)  # nothing namespaced: every craft shares one mapping

    specific: dict[int, list[tuple[int, Mapping]]] = {}
    for key, value in params.items():
        targets = by_name.get(key)
        if targets is None:
            continue
        if len(targets) > 1 and key == crafts[targets[0]].name:
            names = ", ".join(crafts[i].fqname for i in targets)
            raise PipelineError(
                f"{pipeline}: parameter '{key}' names several crafts ({names}): use the fully "
                "qualified name"
            )
        if not isinstance(value, Mapping):
            raise PipelineError(
                f"{pipeline}: parameter '{key}' names craft '{crafts[targets[0]].fqname}', so its "
                f"value must be a mapping of that craft's parameters (e.g. {key}={{'alpha': 1}}),"
                f" got {type(value).__name__}"
            )
        for index in targets:
            rank = 1 if key == crafts[index].fqname else 0  # the qualified name wins
            specific.setdefault(index, []).append((rank, value))
    merged: list[Mapping[str, Any]] = []
    for index in range(len(crafts)):
        overrides = sorted(specific.get(index, ()), key=lambda item: item[0])
        if not overrides:
            merged.append(shared)
            continue
        params_for_craft = dict(shared)
        for _, value in overrides:
            params_for_craft.update(value)
        merged.append(params_for_craft)
    return merged


def unused_keys(
    crafts: Sequence[Craft], params: Mapping[str, Any], variables: Collection[str]
) -> dict[str, list[str]]:
    """The keys of ``params`` nothing uses (``variables``: the ``!{}`` of the crafts'
    artifacts), each with the close names it may be a misspelling of."""
    if not params:
        return {}
    if any(craft.signature.var_keyword is not None for craft in crafts):
        return {}  # **kwargs takes every key
    used = set(variables)
    for craft in crafts:
        used |= craft.signature.parameters | {craft.fqname, craft.name}
    return {
        key: difflib.get_close_matches(key, sorted(used), n=3) for key in params if key not in used
    }


def check_unused(
    crafts: Sequence[Craft],
    params: Mapping[str, Any],
    variables: Collection[str],
    pipeline: str,
    *,
    strict: bool = False,
    exempt: Collection[str] = (),
) -> None:
    """Refuse a mapping naming no craft; warn of another unused key (refuse it if ``strict``).

    ``exempt`` keys (those of a parameter set, which may serve other pipelines) are not checked.
    """
    for key, close in unused_keys(crafts, params, variables).items():
        if key in exempt:
            continue
        hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
        if isinstance(params[key], Mapping):
            names = ", ".join(sorted({c.name for c in crafts})) or "none"
            raise PipelineError(
                f"{pipeline}: parameter '{key}' is a mapping, so it is for one craft, but no "
                f"craft of the pipeline is named '{key}'{hint}; its crafts: {names}",
                key=key,
            )
        message = (
            f"{pipeline}: parameter '{key}' is used by no craft (no craft takes it, no !{{}} "
            f"of their artifacts uses it, no **kwargs absorbs it){hint}"
        )
        if strict:
            raise PipelineError(
                message + "; remove it, or run without --strict / strict_parameters",
                key=key,
            )
        warnings.warn(message, UnusedParameterWarning, stacklevel=2)
