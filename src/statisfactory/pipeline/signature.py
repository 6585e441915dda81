"""Read a craft's signature once, at decoration time, into a plan for binding its arguments.

Annotations written as strings (``from __future__ import annotations``) are read with a tiny
interpreter that only understands the marker forms (``Artifact``, ``Artifact("a")``,
``Artifact.of("a", "b")``, lists of them) and resolves names in the function's globals;
every other annotation is left alone, so a type hint that cannot be resolved is harmless.
"""

from __future__ import annotations

import ast
import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from statisfactory import syntax
from statisfactory.errors import CraftError
from statisfactory.pipeline.markers import Artifact, Metrics, Volatile, _Marker

NO_DEFAULT: Any = inspect.Parameter.empty
_NOT_A_MARKER = object()


@dataclass(frozen=True, slots=True)
class CraftSignature:
    """What a craft needs and gives, precomputed so that a call does no introspection."""

    artifacts: tuple[tuple[str, str], ...]  # (parameter, artifact name)
    volatiles: tuple[tuple[str, str, bool], ...]  # (parameter, volatile name, has default)
    keywords: tuple[tuple[str, Any], ...]  # (parameter, default or NO_DEFAULT)
    var_keyword: str | None  # the ``**kwargs`` parameter, if any
    positional: tuple[str, ...]  # parameters a direct call may pass positionally
    outputs: tuple[_Marker, ...]

    @property
    def parameters(self) -> frozenset[str]:
        """Every named parameter (not ``**kwargs``)."""
        return frozenset(
            [p for p, _ in self.artifacts]
            + [p for p, _, _ in self.volatiles]
            + [p for p, _ in self.keywords]
        )


def read_signature(function: Callable, craft_name: str) -> CraftSignature:
    """Build the :class:`CraftSignature` of ``function``; bad annotations name the craft."""
    namespace = getattr(function, "__globals__", {})
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as error:
        raise CraftError(f"Craft '{craft_name}': cannot read its signature ({error})") from error

    artifacts: list[tuple[str, str]] = []
    volatiles: list[tuple[str, str, bool]] = []
    keywords: list[tuple[str, Any]] = []
    positional: list[str] = []
    var_keyword = None
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise CraftError(
                f"Craft '{craft_name}': parameter '{parameter.name}' is positional-only; "
                "crafts receive their arguments by name, remove the '/' from the signature"
            )
        if parameter.kind is parameter.VAR_POSITIONAL:
            continue  # nothing is ever passed positionally by a pipeline
        if parameter.kind is parameter.VAR_KEYWORD:
            var_keyword = parameter.name
            continue
        if parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
            positional.append(parameter.name)
        marker = _parameter_marker(parameter, namespace, craft_name)
        if isinstance(marker, Artifact):
            artifacts.append((parameter.name, marker.name))
        elif isinstance(marker, Volatile):
            volatiles.append((parameter.name, marker.name, parameter.default is not NO_DEFAULT))
        else:
            keywords.append((parameter.name, parameter.default))

    return CraftSignature(
        artifacts=tuple(artifacts),
        volatiles=tuple(volatiles),
        keywords=tuple(keywords),
        var_keyword=var_keyword,
        positional=tuple(positional),
        outputs=_outputs(signature.return_annotation, namespace, craft_name),
    )


def _parameter_marker(
    parameter: inspect.Parameter, namespace: dict, craft_name: str
) -> _Marker | None:
    annotation = _resolve(parameter.annotation, namespace)
    if isinstance(annotation, type) and issubclass(annotation, _Marker):
        return annotation(parameter.name)  # `train: Artifact` means the artifact "train"
    if isinstance(annotation, _Marker):
        return annotation
    if isinstance(annotation, list | tuple) and any(_is_marker(item) for item in annotation):
        raise CraftError(
            f"Craft '{craft_name}': parameter '{parameter.name}' is annotated with several "
            f"markers ({annotation!r}); a parameter receives one Artifact or one Volatile"
        )
    return None


def _outputs(annotation: Any, namespace: dict, craft_name: str) -> tuple[_Marker, ...]:
    resolved = _resolve(annotation, namespace)
    if isinstance(resolved, _Marker):
        return (resolved,)
    if isinstance(resolved, type) and issubclass(resolved, _Marker):
        raise CraftError(
            f"Craft '{craft_name}': the return annotation {resolved.__name__} has no name; "
            f'write -> {resolved.__name__}("name")'
        )
    if not isinstance(resolved, list | tuple) or not any(_is_marker(i) for i in resolved):
        return ()  # an ordinary type hint (or none): the craft saves and keeps nothing
    outputs = []
    for item in _flatten(resolved):
        if not isinstance(item, _Marker):
            raise CraftError(
                f"Craft '{craft_name}': return annotation item {item!r} is neither "
                'Artifact("name") nor Volatile("name")'
            )
        outputs.append(item)
    names = [output.name for output in outputs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise CraftError(
            f"Craft '{craft_name}': the return annotation names {duplicates} more than once"
        )
    return tuple(outputs)


def _flatten(items: list | tuple) -> list:
    flat = []
    for item in items:
        flat.extend(_flatten(item) if isinstance(item, list | tuple) else [item])
    return flat


def _is_marker(item: Any) -> bool:
    if isinstance(item, list | tuple):
        return any(_is_marker(i) for i in item)
    return isinstance(item, _Marker) or (isinstance(item, type) and issubclass(item, _Marker))


# --- string annotations -------------------------------------------------------------------
def _resolve(annotation: Any, namespace: dict) -> Any:
    """The annotation's value; a string is interpreted for the marker forms only."""
    if not isinstance(annotation, str):
        return annotation
    try:
        tree = syntax.parse(annotation, mode="eval")
    except SyntaxError:
        return _NOT_A_MARKER
    return _interpret(tree.body, namespace)


def _interpret(node: ast.AST, namespace: dict) -> Any:
    if isinstance(node, ast.Name):
        return namespace.get(node.id, _NOT_A_MARKER)
    if isinstance(node, ast.Attribute):
        owner = _interpret(node.value, namespace)
        # Only walk through modules and the marker classes: no user property ever runs here.
        if isinstance(owner, types.ModuleType) or owner in (Artifact, Volatile, Metrics):
            return getattr(owner, node.attr, _NOT_A_MARKER)
        return _NOT_A_MARKER
    if isinstance(node, ast.List | ast.Tuple):
        return [_interpret(element, namespace) for element in node.elts]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # Volatile.of(..) + [..]
        left, right = _interpret(node.left, namespace), _interpret(node.right, namespace)
        if isinstance(left, list) and isinstance(right, list):
            return left + right
        return _NOT_A_MARKER
    if isinstance(node, ast.Call):
        function = _interpret(node.func, namespace)
        if function in (Artifact, Volatile, Metrics, Artifact.of, Volatile.of):
            try:
                arguments = [syntax.literal_eval(argument) for argument in node.args]
                keywords = {k.arg: syntax.literal_eval(k.value) for k in node.keywords if k.arg}
                return function(*arguments, **keywords)
            except (ValueError, TypeError):
                return _NOT_A_MARKER
    return _NOT_A_MARKER
