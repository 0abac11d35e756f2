"""The pipeline the reconciling commands share: load, graph, observe, plan."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from composer.cli.context import GlobalOptions
from composer.engine.observe import Actual, observe
from composer.errors import ConfigError, UsageError
from composer.graph import Desired, GraphOptions, build_desired
from composer.plan.planner import Hasher
from composer.spec.profiles import unknown_service
from composer.spec.project import Project

if TYPE_CHECKING:
    from composer.engine.client import Engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class State:
    """Everything a command needs after the read-only stages ran."""

    project: Project
    desired: Desired
    engine: Engine
    actual: Actual


def connect() -> Engine:
    """Connect to the engine; the Docker SDK is imported only now."""
    from composer.engine.client import Engine

    return Engine()


def load(options: GlobalOptions, services: tuple[str, ...] = ()) -> Project:
    """Load and validate the project; nothing touches the engine."""
    spec = importlib.import_module("composer.spec")
    loader = getattr(spec, "load_project", None)
    if loader is None:
        raise ConfigError("the project loader is not available yet (issue 3)")
    project: Project = loader(options.load_options(services=services))
    return project


def hasher() -> Hasher | None:
    """Docker Compose's config hash function, when the loader provides it."""
    try:
        module = importlib.import_module("composer.spec.hashing")
    except ImportError:
        return None
    func: Any = getattr(module, "service_config_hash", None)
    if func is None:
        return None

    def compose_hash(service: Mapping[str, object]) -> str:
        return str(func(service))

    return compose_hash


#: The targets ``--target`` and ``x-composer.target`` accept.
TARGETS = ("engine", "swarm")


def target_of(project: Project, option: str | None) -> str:
    """The target: ``--target``, else ``x-composer.target``, else ``engine``."""
    extension = project.model.get("x-composer") or {}
    chosen = option or (
        extension.get("target") if isinstance(extension, dict) else None
    )
    target = str(chosen or "engine")
    if target not in TARGETS:
        where = "--target" if option else "x-composer.target"
        error = UsageError if option else ConfigError
        raise error(
            f"{where}: unknown target {target!r}; expected one of " + ", ".join(TARGETS)
        )
    return target


def parse_scale(values: list[str] | None) -> dict[str, int]:
    """``SERVICE=N`` pairs from ``--scale``."""
    out: dict[str, int] = {}
    for item in values or ():
        name, sep, count = item.partition("=")
        if not name or not sep or not (count.isascii() and count.isdigit()):
            raise UsageError(f"--scale expects SERVICE=NUMBER, got {item!r}")
        out[name] = int(count)
    return out


class EarlyObserve:
    """Observe a project named on the command line while its files load.

    Observing mostly waits for the engine's answers, and loading mostly
    computes; with ``-p`` the name is known before the files are read, so the
    four list requests run in a thread meanwhile.  ``prepare`` uses the result
    only for a project of that very name.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._done: tuple[Engine, Actual] | None = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._discarded = False
        self._thread = threading.Thread(target=self._run, name="observe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        engine: Engine | None = None
        done: tuple[Engine, Actual] | None = None
        error: BaseException | None = None
        try:
            engine = connect()
            done = engine, observe(engine, self.name)
        except BaseException as exc:  # handed to the caller by result()
            error = exc
        with self._lock:
            if self._discarded:
                if engine is not None:
                    engine.close()
                return
            self._done, self._error = done, error

    def discard(self) -> None:
        """Nobody will use the result: drop it without waiting for it.

        The engine connection is closed now if the thread is done, else by the
        thread when it is; an error it met is not raised.
        """
        with self._lock:
            self._discarded = True
            self._error = None
            if self._done is not None:
                self._done[0].close()
                self._done = None

    def result(self) -> tuple[Engine, Actual]:
        """The engine and the observed state; the thread's error if it failed."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._done is not None
        return self._done


def observe_early(
    options: GlobalOptions, target: str | None = None
) -> EarlyObserve | None:
    """Start observing the project ``-p`` names, if it names one.

    Not for ``--target swarm``: that target reads the swarm, not one engine.
    """
    if not options.project_name or target == "swarm":
        return None
    return EarlyObserve(options.project_name)


def prepare(
    options: GlobalOptions,
    services: tuple[str, ...] = (),
    scale: Mapping[str, int] | None = None,
    no_deps: bool = False,
    project: Project | None = None,
    early: EarlyObserve | None = None,
) -> State:
    """Load (unless given), build the desired state, connect and observe."""
    project = project or load(options, services)
    scale = dict(scale or {})
    for name in scale:
        if name not in project.services:
            raise UsageError(f"--scale: {unknown_service(name, project.services)}")
    desired = build_desired(project, GraphOptions(services, scale, no_deps))
    if early is not None and early.name == project.name:
        engine, actual = early.result()
    else:
        engine = connect()
        actual = observe(engine, project.name)
    return State(project, desired, engine, actual)
