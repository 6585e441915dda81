"""The one rule for what parameters each craft of a run gets: the run's shared keys,
overridden by the mapping given under the craft's short name, then under its qualified name.

A key equal to a craft's qualified or short name is that craft's own, and must be a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from statisfactory.errors import PipelineError

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
    merged = []
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
