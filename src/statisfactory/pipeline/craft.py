"""``@Craft()``: a plain function whose annotated parameters and return value the framework
loads, saves and passes along.

>>> @Craft()
... def fit(train: Artifact, alpha: float = 1.0) -> Volatile("model"):
...     ...

Called alone (``fit(alpha=0.5)`` inside ``with session:``), a craft loads its artifacts with the
call's keyword arguments as the interpolation context, calls the function, saves its output
artifacts and returns the function's value. In a pipeline, the runner calls :meth:`Craft.execute`
with the context and arguments prepared once for the run, its catalog and its hooks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from statisfactory.errors import (
    ArtifactNotFoundError,
    CraftError,
    CraftOutputError,
    CraftUsageError,
    NoActiveSessionError,
    UndeclaredArtifactError,
    UnknownTypeError,
)
from statisfactory.logger import get_logger
from statisfactory.pipeline.craft_params import per_craft
from statisfactory.pipeline.failure_place import project_frame
from statisfactory.pipeline.hooks import Hookable, call_hooks
from statisfactory.pipeline.markers import Metrics
from statisfactory.pipeline.signature import NO_DEFAULT, CraftSignature, read_signature
from statisfactory.scope import get_active_session

if TYPE_CHECKING:
    from statisfactory.IO.catalog import Catalog
    from statisfactory.pipeline.pipeline import Pipeline
    from statisfactory.plugins.relay import HookRelay
    from statisfactory.protocols import CatalogLike

_NOTHING: dict[str, Any] = {}  # shared, never mutated: a craft that keeps no volatile


class Craft(Hookable):
    """Wrap a function into a craft; use as ``@Craft()`` or ``@Craft``.

    ``@Craft(resources={"GPU": 1})`` tells engines that reserve resources (the Dask runner)
    what one run of the craft needs; the other runners ignore it. ``@Craft(tags=["model"])``
    tags it, for :meth:`Pipeline.filter` and ``statisfactory run --tags``.
    """

    __qualname__: str  # the function's, copied by functools.update_wrapper

    def __new__(
        cls,
        function: Callable[..., Any] | None = None,
        /,
        *,
        resources: Mapping[str, float] | None = None,
        tags: Sequence[str] = (),
    ) -> Any:
        if function is None:
            if resources is None and not tags:
                return cls  # `@Craft()` is the same decorator as `@Craft`
            return functools.partial(cls, resources=resources, tags=tags)
        return super().__new__(cls)

    def __init__(
        self,
        function: Callable[..., Any],
        /,
        *,
        resources: Mapping[str, float] | None = None,
        tags: Sequence[str] = (),
    ) -> None:
        if not callable(function):
            raise CraftError(f"@Craft() decorates a function, got {function!r}")
        if not isinstance(getattr(function, "__name__", None), str) or not isinstance(
            getattr(function, "__module__", None), str
        ):
            # A callable object or a functools.partial has no name of its own: a craft is known
            # by its module and function name (in plans, the history, settings).
            raise CraftError(
                f"@Craft() decorates a function, got {function!r}, which has no __name__ and "
                "__module__ to name the craft by: wrap it in a def that calls it, e.g. "
                "`def fit(x: int = 1) -> ...: return model(x)`, and decorate that"
            )
        functools.update_wrapper(self, function)
        self.function = function
        self.name: str = function.__name__
        self.fqname: str = f"{function.__module__}.{self.name}"
        self.resources: dict[str, float] = _checked_resources(resources, self.fqname)
        self.tags: tuple[str, ...] = _checked_tags(tags, self.fqname)
        self.signature: CraftSignature = read_signature(function, self.fqname)
        signature = self.signature
        self._parameter_names = signature.parameters
        outputs = signature.outputs
        # What the craft reads and gives, by name, in signature order. Lists, not generators:
        # this runs for each of the thousands of crafts a large project's modules define.
        self.requires: tuple[str, ...] = tuple(
            [n for _, n in signature.artifacts] + [n for _, n, _ in signature.volatiles]
        )
        self.produces: tuple[str, ...] = tuple([o.name for o in outputs])
        self.output_kinds: dict[str, str] = {o.name: o.kind for o in outputs}
        self.has_metrics = any([o.kind == "volatile" and isinstance(o, Metrics) for o in outputs])
        self.saves: tuple[str, ...] = tuple([o.name for o in outputs if o.kind == "artifact"])
        # Whether the craft loads or saves artifacts, and so needs an active session.
        self.uses_catalog: bool = bool(signature.artifacts or self.saves)

    # --- composition --------------------------------------------------------------------------
    def __add__(self, other: Craft | Pipeline) -> Pipeline:
        from statisfactory.pipeline.pipeline import Pipeline

        if not isinstance(other, Craft | Pipeline):
            return NotImplemented
        return Pipeline(self, other)

    def __radd__(self, other: Any) -> Pipeline:
        from statisfactory.pipeline.pipeline import Pipeline

        if isinstance(other, int) and other == 0:  # sum([craft_a, craft_b])
            return Pipeline(self)
        return NotImplemented

    # --- calling ------------------------------------------------------------------------------
    def prepare(self, params: Mapping[str, Any]) -> tuple[Mapping[str, Any], dict[str, Any]]:
        """Return ``(context, arguments)`` for a call with the run parameters ``params``.

        ``arguments`` binds the keyword parameters (from ``params`` or their default) and, with
        ``**kwargs``, every other key; ``context`` is ``params`` plus the defaults it lacked, so
        a default fills ``!{}`` in the craft's artifacts. A missing parameter is a CraftError.
        """
        arguments: dict[str, Any] = {}
        defaults: dict[str, Any] = {}
        missing = []
        for parameter, default in self.signature.keywords:
            if parameter in params:
                arguments[parameter] = params[parameter]
            elif default is not NO_DEFAULT:
                arguments[parameter] = defaults[parameter] = default
            else:
                missing.append(parameter)
        if missing:
            example = missing[0]
            raise CraftError(
                f"Craft '{self.fqname}' needs parameter(s) {missing} and nothing provides them: "
                f"pass {example}=... to the run (or {self.name}={{'{example}': ...}} for this "
                "craft only), add it to the parameter set, or give it a default"
            )
        if self.signature.var_keyword is not None:
            names = self._parameter_names
            arguments.update((key, value) for key, value in params.items() if key not in names)
        return ({**params, **defaults} if defaults else params), arguments

    def execute(
        self,
        context: Mapping[str, Any],
        arguments: Mapping[str, Any],
        volatiles: Mapping[str, Any],
        *,
        catalog: Catalog | None = None,
        hooks: HookRelay | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Load artifacts, call the function, save artifacts; return ``(value, volatiles kept)``.

        ``arguments`` come from :meth:`prepare`; an artifact parameter already in them is not
        loaded. A volatile parameter missing from ``volatiles`` takes its default. Artifacts go
        through ``catalog`` (default: the active session's) and the run's artifact ``hooks``.
        """
        signature = self.signature
        if hooks is not None and hooks.before_craft_call is not None:
            hooks.before_craft_call(hooks.run, self, context)
        kwargs = dict(arguments)
        for parameter, name in signature.artifacts:
            if parameter not in kwargs:
                catalog = catalog or self._catalog()
                if hooks is None:
                    kwargs[parameter] = catalog.load(name, **context)
                else:
                    kwargs[parameter] = hooks.load(catalog, self, name, context)
        for parameter, name, _ in signature.volatiles:
            if name in volatiles:
                kwargs[parameter] = volatiles[name]
        value = self.function(**kwargs)

        outputs = signature.outputs
        if not outputs:
            return value, _NOTHING
        values = (value,) if len(outputs) == 1 else self._split(value, len(outputs))
        kept: dict[str, Any] = {}
        for output, item in zip(outputs, values, strict=True):
            if output.kind == "volatile":
                kept[output.name] = item
            else:
                catalog = catalog or self._catalog()
                if hooks is None:
                    catalog.save(output.name, item, **context)
                else:
                    hooks.save(catalog, self, output.name, item, context)
        return value, kept

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        """Run the craft alone: keyword arguments are its context; returns the function's value.

        An artifact or volatile parameter passed explicitly is used as is (nothing is loaded).
        """
        given = self._bind_positional(args, kwargs)
        direct = {p: given.pop(p) for p, _ in self.signature.artifacts if p in given}
        volatiles = {}
        for parameter, name, has_default in self.signature.volatiles:
            if parameter in given:
                volatiles[name] = given.pop(parameter)
            elif not has_default:
                raise CraftError(
                    f"Craft '{self.fqname}' needs volatile '{name}': pass {parameter}=... "
                    "or run it in a pipeline with a craft that returns Volatile"
                    f"('{name}')"
                )
        (params,) = per_craft((self,), given, f"Craft '{self.fqname}'")
        context, arguments = self.prepare(params)
        arguments.update(direct)
        if self.uses_catalog and (len(direct) < len(self.signature.artifacts) or self.saves):
            self.check_declared(self._catalog(), given=direct)  # before its work is done

        call_hooks(self.hooks("pre_run"), self)
        try:
            value, _ = self.execute(context, arguments, volatiles)
        except Exception as error:
            raise self.failure(error)  # noqa: B904 - failure() chains the cause itself
        call_hooks(self.hooks("post_run"), self)
        return value

    def artifact_names(self, given: Container[str] = ()) -> tuple[str, ...]:
        """The artifacts the craft loads (but those of parameters in ``given``), then saves."""
        if not given:  # asked several times per craft and run: built once
            names = self.__dict__.get("_artifact_names")
            if names is None:
                names = tuple(name for _, name in self.signature.artifacts) + self.saves
                self.__dict__["_artifact_names"] = names
            return names
        loaded = tuple(
            name for parameter, name in self.signature.artifacts if parameter not in given
        )
        return loaded + self.saves

    def check_declared(
        self, catalog: CatalogLike, where: str = "", given: Container[str] = ()
    ) -> None:
        """Raise when ``catalog`` lacks an artifact the craft loads or saves; ``where`` (the
        pipeline) starts the message; artifact parameters in ``given`` are not loaded."""
        outputs = self.saves
        for name in self.artifact_names(given):
            verb = "saves" if name in outputs else "loads"
            if name in catalog:
                try:
                    catalog.check_type(name)
                except UnknownTypeError as error:
                    raise UnknownTypeError(
                        f"{where}Craft '{self.fqname}' {verb} {error}"
                    ) from error
                continue
            try:
                catalog[name]  # the catalog's own error suggests close names
            except ArtifactNotFoundError as error:
                raise UndeclaredArtifactError(
                    f"{where}Craft '{self.fqname}' {verb} artifact '{name}', which the catalog "
                    f"does not declare: add it to a catalog YAML file, or fix the annotation "
                    f"({error})"
                ) from error

    def failure(self, error: Exception) -> Exception:
        """Run the on-error hooks for ``error`` and return the error to raise, naming the craft."""
        try:
            call_hooks(self.hooks("on_error"), self, error=error)
        except Exception as hook_error:  # the craft's own failure stays the reported one
            get_logger("pipeline").error("%s", hook_error)
        return self.error_for(error)

    def error_for(self, error: Exception) -> Exception:
        """The error to raise for ``error`` raised while the craft ran: one naming the craft."""
        if isinstance(error, CraftUsageError | NoActiveSessionError):
            return error  # already names this craft and says what to do
        failure = CraftError(f"Craft '{self.fqname}' failed: {type(error).__name__}: {error}")
        place = project_frame(error)  # found here: a worker process's traceback is not sent back
        if place is not None:
            failure.add_context(file=place[0], line=place[1], function=place[2])
        failure.__cause__ = error
        return failure

    # --- helpers ------------------------------------------------------------------------------
    def _bind_positional(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        positional = self.signature.positional
        if len(args) > len(positional):
            raise CraftError(
                f"Craft '{self.fqname}' takes at most {len(positional)} positional argument(s), "
                f"got {len(args)}; pass the others by name"
            )
        given = dict(kwargs)
        for parameter, value in zip(positional, args, strict=False):
            if parameter in given:
                raise CraftError(f"Craft '{self.fqname}' got '{parameter}' twice")
            given[parameter] = value
        return given

    def _split(self, value: Any, expected: int) -> Sequence[Any]:
        if isinstance(value, tuple | list) and len(value) == expected:
            return value
        got = f"{len(value)} values" if isinstance(value, tuple | list) else "a single value"
        names = [output.name for output in self.signature.outputs]
        raise CraftOutputError(
            f"Craft '{self.fqname}' returned {got} but its return annotation declares "
            f"{expected} outputs {names}: return a tuple of {expected} values"
        )

    def _catalog(self) -> Catalog:
        try:
            return get_active_session().catalog
        except NoActiveSessionError as error:
            raise NoActiveSessionError(
                f"Craft '{self.fqname}' loads or saves artifacts, so it needs a session: "
                "call it inside `with session:`"
            ) from error

    def __reduce__(self) -> str:
        # Pickled by reference (module + name), like a function, so process workers re-import it.
        return self.__qualname__

    def __repr__(self) -> str:
        return f"Craft({self.fqname})"


def _checked_resources(resources: Mapping[str, float] | None, fqname: str) -> dict[str, float]:
    if resources is None:
        return {}
    if isinstance(resources, Mapping) and all(
        isinstance(key, str)
        and key
        and isinstance(amount, int | float)
        and not isinstance(amount, bool)
        and amount > 0
        for key, amount in resources.items()
    ):
        return dict(resources)
    raise CraftError(
        f"Craft '{fqname}': resources must map resource names to positive amounts, "
        f"e.g. @Craft(resources={{'GPU': 1}}), got {resources!r}"
    )


def _checked_tags(tags: Any, fqname: str) -> tuple[str, ...]:
    if type(tags) is tuple and not tags:  # the default
        return ()
    if isinstance(tags, str) or not all(isinstance(tag, str) and tag for tag in tags):
        raise CraftError(
            f"@Craft(tags={tags!r}) on '{fqname}': tags are a list of non-empty strings, "
            'e.g. tags=["model"]',
            craft=fqname,
        )
    return tuple(dict.fromkeys(tags))
