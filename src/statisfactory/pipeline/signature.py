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
from typing import Any, cast

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
    parameters: frozenset[str]  # every named parameter (not ``**kwargs``)


def read_signature(function: Callable, craft_name: str) -> CraftSignature:
    """Build the :class:`CraftSignature` of ``function``; bad annotations name the craft."""
    namespace = getattr(function, "__globals__", {})
    parameters, returned = _parameters(function, craft_name)
    artifacts: list[tuple[str, str]] = []
    volatiles: list[tuple[str, str, bool]] = []
    keywords: list[tuple[str, Any]] = []
    positional: list[str] = []
    named: list[str] = []  # every parameter but ``*args`` and ``**kwargs``
    var_keyword = None
    for name, kind, default, annotation in parameters:
        if kind is _POSITIONAL_ONLY:
            raise CraftError(
                f"Craft '{craft_name}': parameter '{name}' is positional-only; "
                "crafts receive their arguments by name, remove the '/' from the signature"
            )
        if kind is _VAR_POSITIONAL:
            continue  # nothing is ever passed positionally by a pipeline
        if kind is _VAR_KEYWORD:
            var_keyword = name
            continue
        if kind is _POSITIONAL_OR_KEYWORD:
            positional.append(name)
        named.append(name)
        marker = _parameter_marker(name, annotation, namespace, craft_name)
        if marker is None:
            keywords.append((name, default))
        elif marker[0] == "artifact":
            artifacts.append((name, marker[1]))
        else:
            volatiles.append((name, marker[1], default is not NO_DEFAULT))

    return CraftSignature(
        artifacts=tuple(artifacts),
        volatiles=tuple(volatiles),
        keywords=tuple(keywords),
        var_keyword=var_keyword,
        positional=tuple(positional),
        outputs=_outputs(returned, namespace, craft_name),
        parameters=frozenset(named),
    )


_Parameter = tuple[str, Any, Any, Any]  # name, kind, default, annotation
_POSITIONAL_ONLY = inspect.Parameter.POSITIONAL_ONLY
_POSITIONAL_OR_KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD
_VAR_POSITIONAL = inspect.Parameter.VAR_POSITIONAL
_KEYWORD_ONLY = inspect.Parameter.KEYWORD_ONLY
_VAR_KEYWORD = inspect.Parameter.VAR_KEYWORD


def _parameters(function: Callable, craft_name: str) -> tuple[list[_Parameter], Any]:
    """The parameters of ``function`` and its return annotation, as ``inspect.signature``
    gives them. A plain function's are read from its code object: ``inspect`` would build and
    check a ``Parameter`` object for each, a good part of decorating many crafts."""
    if (
        type(function) is not types.FunctionType
        or hasattr(function, "__wrapped__")
        or (hasattr(function, "__signature__"))
    ):  # partials, wrappers, classes, explicit signatures: inspect knows them all
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError) as error:
            raise CraftError(
                f"Craft '{craft_name}': cannot read its signature ({error})"
            ) from error
        parameters = [
            (p.name, p.kind, p.default, p.annotation) for p in signature.parameters.values()
        ]
        return parameters, signature.return_annotation
    code = function.__code__
    names = code.co_varnames
    annotations = function.__annotations__
    positional_count, keyword_count = code.co_argcount, code.co_kwonlyargcount
    defaults = function.__defaults__ or ()
    first_default = positional_count - len(defaults)
    parameters = []
    for index, name in enumerate(names[:positional_count]):
        kind = _POSITIONAL_ONLY if index < code.co_posonlyargcount else _POSITIONAL_OR_KEYWORD
        default = defaults[index - first_default] if index >= first_default else NO_DEFAULT
        parameters.append((name, kind, default, annotations.get(name, NO_DEFAULT)))
    index = positional_count + keyword_count
    if code.co_flags & inspect.CO_VARARGS:
        name = names[index]
        parameters.append((name, _VAR_POSITIONAL, NO_DEFAULT, annotations.get(name, NO_DEFAULT)))
        index += 1
    keyword_defaults = function.__kwdefaults__ or {}
    for name in names[positional_count : positional_count + keyword_count]:
        default = keyword_defaults.get(name, NO_DEFAULT)
        parameters.append((name, _KEYWORD_ONLY, default, annotations.get(name, NO_DEFAULT)))
    if code.co_flags & inspect.CO_VARKEYWORDS:
        name = names[index]
        parameters.append((name, _VAR_KEYWORD, NO_DEFAULT, annotations.get(name, NO_DEFAULT)))
    return parameters, annotations.get("return", NO_DEFAULT)


def _parameter_marker(
    name: str, annotation: Any, namespace: dict, craft_name: str
) -> tuple[str, str] | None:
    """``(kind, name)`` of the artifact or volatile the parameter receives (``kind`` as the
    marker's: ``artifact`` or ``volatile``), or None for an ordinary parameter."""
    if annotation is NO_DEFAULT:
        return None
    annotation = _resolve(annotation, namespace)
    if isinstance(annotation, type):
        if issubclass(annotation, _Marker):
            return annotation.kind, name  # `train: Artifact` means the artifact "train"
        return None
    # Exact types first: the ABC's isinstance is several times slower, and runs per parameter.
    if type(annotation) is Artifact or isinstance(annotation, _Marker):
        return annotation.kind, annotation.name
    if isinstance(annotation, list | tuple) and any(_is_marker(item) for item in annotation):
        raise CraftError(
            f"Craft '{craft_name}': parameter '{name}' is annotated with several "
            f"markers ({annotation!r}); a parameter receives one Artifact or one Volatile"
        )
    return None


def _outputs(annotation: Any, namespace: dict, craft_name: str) -> tuple[_Marker, ...]:
    resolved = _resolve(annotation, namespace)
    if type(resolved) is Artifact or isinstance(resolved, _Marker):
        return (cast(_Marker, resolved),)  # Artifact is a _Marker by registration
    if resolved is NO_DEFAULT:
        return ()
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
