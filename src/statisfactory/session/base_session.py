"""The session: the entry point that reads a project and wires catalog, parameters and pipelines."""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from statisfactory import scope
from statisfactory.errors import HookError, StatisfactoryError
from statisfactory.logger import MixinLogable
from statisfactory.project.pyproject import ProjectConfig, find_root, read_project_config
from statisfactory.project.settings import build_settings, flag, template_variables
from statisfactory.secrets import Secrets
from statisfactory.session import defaults, integrations
from statisfactory.session.user_space import UserSpace

if TYPE_CHECKING:
    import boto3
    import lakefs
    import pluggy
    import pygit2
    import pyspark.sql
    from dynaconf import Dynaconf

    from statisfactory.history.runs import Runs
    from statisfactory.history.store import HistoryStore
    from statisfactory.IO.catalog import Catalog
    from statisfactory.pipeline.definitions import PipelinesDefinitions
    from statisfactory.project.parameters import ParameterSets
    from statisfactory.session.session import Session

Hook = TypeVar("Hook", bound=Callable[["BaseSession"], None])
_Resource = TypeVar("_Resource")


def load_project_config(root_folder: str | Path | None) -> ProjectConfig:
    """The config of the project at ``root_folder``, or of the nearest one above the cwd."""
    root = Path(root_folder).expanduser() if root_folder is not None else find_root()
    return read_project_config(root)


def put_on_sys_path(config: ProjectConfig) -> None:
    """Make the project's ``sources`` (then its root) importable, ahead of installed packages."""
    for folder in (config.root, config.sources):
        entry = str(folder)
        if entry not in sys.path:
            sys.path.insert(0, entry)


def _describe_hook(hook: Callable[..., Any], root: Path) -> str:
    """``module.name (file:line)``, the file relative to the project root when inside it."""
    name = f"{getattr(hook, '__module__', '?')}.{getattr(hook, '__qualname__', hook)}"
    code = getattr(hook, "__code__", None)
    if code is None:
        return name
    path = Path(code.co_filename)
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    return f"{name} ({shown}:{code.co_firstlineno})"


class BaseSession(MixinLogable):
    """Base class of every session: reads the project, then runs the registered post-init hooks.

    Hooks run in class order, the base class's first: ``BaseSession``'s defaults build the catalog,
    the parameter sets and the pipeline definitions, then each subclass's own hooks run. Hooks
    registered on a subclass never run for its siblings. ``_`` is free for the user's own data.
    """

    _hooks: list[Callable[[BaseSession], None]] = list(defaults.DEFAULT_HOOKS)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._hooks = []  # each class keeps its own hooks

    def __init__(self, root_folder: str | Path | None = None) -> None:
        config = self.__dict__.pop("_preloaded_config", None) or load_project_config(root_folder)
        self._config = config
        self._lock = threading.RLock()
        self._settings = build_settings(config)
        self._template_variables: dict[str, Any] | None = None
        self._secrets: Secrets | None = None
        self._catalog: Catalog | None = None
        self._parameters: ParameterSets | None = None
        self._pipelines_definitions: PipelinesDefinitions | None = None
        self._integrations: dict[str, Any] = {}
        self._ = UserSpace()
        put_on_sys_path(config)
        self._run_post_init_hooks()

    # --- hooks -----------------------------------------------------------------------------
    @classmethod
    def hook_post_init(cls, last: bool = True) -> Callable[[Hook], Hook]:
        """Register ``callable_(session)`` to run at the end of every ``__init__`` of this class.

        ``last=False`` puts it before the hooks already registered on the same class.
        """

        def register(callable_: Hook) -> Hook:
            if last:
                cls._hooks.append(callable_)
            else:
                cls._hooks.insert(0, callable_)
            return callable_

        return register

    def _run_post_init_hooks(self) -> None:
        for klass in reversed(type(self).__mro__):
            for hook in list(klass.__dict__.get("_hooks", ())):
                if hook in defaults.DEFAULT_HOOKS:
                    hook(self)  # their errors already name the file and key
                    continue
                try:
                    hook(self)
                except Exception as error:
                    detail = str(error) if isinstance(error, StatisfactoryError) else repr(error)
                    raise HookError(
                        f"The post-init hook {_describe_hook(hook, self.root)} of "
                        f"{klass.__name__} raised: {detail}. Fix the hook, or remove its "
                        f"registration."
                    ) from error

    # --- the stack of active sessions ------------------------------------------------------
    def __enter__(self) -> BaseSession:
        """Push the session on top of the stack of the current thread / asyncio task."""
        scope.push_session(self)
        return self

    def __exit__(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        exception_traceback: TracebackType | None,
    ) -> None:
        """Remove the session from the top of the stack, restoring any outer session."""
        scope.pop_session(self)

    @staticmethod
    def get_active_session() -> BaseSession:
        """The session on top of the stack; outside any ``with session:`` it is an error."""
        return scope.get_active_session()

    get_session = get_active_session  # the name the original's README uses

    # --- what the project declares ---------------------------------------------------------
    @property
    def root(self) -> Path:
        """The project root: the folder holding pyproject.toml."""
        return self._config.root

    @property
    def config(self) -> ProjectConfig:
        """The validated ``[tool.statisfactory]`` table, paths made absolute."""
        return self._config

    @property
    def settings(self) -> Dynaconf:
        """pyproject table < globals < locals < ``STATISFACTORY_*`` environment variables."""
        return self._settings

    @property
    def template_variables(self) -> dict[str, Any]:
        """The settings as a dict with lower-cased keys, as Jinja templates see them."""
        if self._template_variables is None:
            self._template_variables = template_variables(self._settings)
        return self._template_variables

    @property
    def secrets(self) -> Secrets:
        """The values of the secret settings (and ``STATISFACTORY_*`` variables), which every
        output masks (see :mod:`statisfactory.secrets`)."""
        if self._secrets is None:
            self._secrets = Secrets.of(self.template_variables)
        return self._secrets

    @property
    def catalog(self) -> Catalog:
        """The project's catalog of artifacts."""
        catalog = self._catalog
        if catalog is None:
            defaults.load_catalog(self)
            catalog = self._catalog
            assert catalog is not None  # set by load_catalog
        return catalog

    @property
    def parameters(self) -> ParameterSets:
        """The resolved parameter sets (name → mapping); tags are kept apart."""
        parameters = self._parameters
        if parameters is None:
            defaults.load_parameters(self)
            parameters = self._parameters
            assert parameters is not None  # set by load_parameters
        return parameters

    @property
    def pipelines_definitions(self) -> PipelinesDefinitions:
        """The pipelines declared in YAML (name → Pipeline, built on first access)."""
        definitions = self._pipelines_definitions
        if definitions is None:
            defaults.load_pipelines_definitions(self)
            definitions = self._pipelines_definitions
            assert definitions is not None  # set by load_pipelines_definitions
        return definitions

    # --- integrations and resources, built on first access ----------------------------------
    def resource(self, name: str, build: Callable[[], _Resource]) -> _Resource:
        """The session's resource ``name`` (an S3 connection, the lakeFS branches known to
        exist…), built by ``build()`` on first use and kept as long as the session."""
        with self._lock:
            if name not in self._integrations:
                self._integrations[name] = build()
            built: _Resource = self._integrations[name]
            return built

    @property
    def resources(self) -> list[str]:
        """The names of the resources (and integrations) this session has built so far."""
        with self._lock:
            return sorted(self._integrations)

    _integration = resource

    @property
    def plugins(self) -> pluggy.PluginManager:
        """The session's hook plugins (a ``pluggy.PluginManager``), loaded on first use: the
        installed ``statisfactory.hooks`` entry points not in ``disabled_hook_plugins``, then
        the ``hook_plugins`` setting's. Each hears ``after_session_init`` once loaded."""
        from statisfactory.plugins.manager import session_manager

        return self._integration("plugins", lambda: session_manager(self))

    def run_plugins(
        self, run: Any, *, volatile_cache: bool | None = None, explain: bool = False
    ) -> list[tuple[str, Any]]:
        """The plugins this session adds to each of its runs, as ``(name, plugin)``: the run
        history and, for an incremental run, the skip policy (:mod:`statisfactory.history`),
        and MLflow tracking when the ``mlflow`` setting enables it."""
        from statisfactory.history.incremental import history_plugins  # not needed to start

        tracking: list[tuple[str, Any]] = []
        if (
            self.settings.get("mlflow") is not None
        ):  # the plugin costs a project that does not track nothing
            from statisfactory.history.mlflow_tracking import tracking_plugins

            tracking = tracking_plugins(run)  # a wrong setting stops the run before it records
        return history_plugins(run, volatile_cache=volatile_cache, explain=explain) + tracking

    @property
    def history_store(self) -> HistoryStore:
        """The session's run history, opened on first use (one keeping nothing when disabled).

        Settings: ``history`` (default true) and ``history_url`` (an SQLAlchemy URL; default:
        SQLite at ``<root>/.statisfactory/history.db``). A forked process opens its own.
        """
        return self.open_history()

    def open_history(self, *, create: bool = True) -> HistoryStore:
        """:attr:`history_store`; ``create=False``, for a read-only command opening it first: a
        project that never ran gets no store file (its reads answer nothing)."""
        import os

        with self._lock:
            opened = self._integrations.get("history")
            if opened is None or opened[0] != os.getpid():
                from statisfactory.history.store import open_store

                store = open_store(
                    self.root,
                    self._settings.get("history_url"),
                    flag(self._settings, "history", default=True),
                    create=create,
                )
                weakref.finalize(self, store.retire)
                opened = self._integrations["history"] = (os.getpid(), store)
            return opened[1]

    @property
    def runs(self) -> Runs:
        """The recorded runs: ``session.runs.compare(sweep="last")`` (a pandas DataFrame),
        ``session.runs.diff(a, b)`` (see :mod:`statisfactory.history.runs`)."""
        from statisfactory.history.runs import Runs

        return Runs(self.history_store)

    @property
    def aws_session(self) -> boto3.Session:
        """A ``boto3.Session`` from ``aws_access_key``, ``aws_secret_access_key``, ``aws_region``."""
        return self._integration("aws", lambda: integrations.build_aws_session(self._settings))

    @property
    def spark(self) -> pyspark.sql.SparkSession:
        """A ``pyspark.sql.SparkSession`` from the ``spark`` settings (``master``, default
        ``local[*]``; ``app_name``, default the project slug; ``conf``) and the ``aws_*`` ones
        (as ``s3a`` options), built on first access and stopped when the process exits."""
        return self._integration(
            "spark",
            lambda: integrations.build_spark_session(
                self._settings, slug=self._config.project_slug, root=self.root
            ),
        )

    @property
    def git(self) -> pygit2.Repository:
        """The ``pygit2.Repository`` the project belongs to."""
        return self._integration("git", lambda: integrations.build_git_repository(self.root))

    @property
    def lakefs_client(self) -> lakefs.Client:
        """A ``lakefs.Client`` from ``lakefs_endpoint``, ``lakefs_access_key``, ``lakefs_secret_access_key``."""
        return self._integration("lakefs", lambda: integrations.build_lakefs_client(self._settings))

    @property
    def lakefs_repo(self) -> lakefs.Repository:
        """The lakeFS repository named after ``project_slug``, created when absent."""
        return self._integration(
            "lakefs_repo",
            lambda: integrations.build_lakefs_repository(
                self.lakefs_client, slug=self._config.project_slug, settings=self._settings
            ),
        )

    def __reduce__(self) -> tuple[type[Session], tuple[str]]:
        # A session travels to another process as its root: the receiver rebuilds it.
        from statisfactory.session.session import Session

        return (Session, (str(self.root),))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._config.project_slug!r} at {self.root}>"
