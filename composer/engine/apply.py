"""Apply stage: the only code that changes the engine.

Networks and volumes first, then each service once everything it depends on
is done and its ``depends_on`` conditions hold, several at a time (bounded by
``parallel``).  The first failure stops new work; what ran is left for the
next pass to converge from.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from composer.engine.client import Engine
from composer.engine.images import run_image_steps
from composer.engine.labels import DEPENDS_ON
from composer.engine.observe import Actual
from composer.engine.operations import (
    Guard,
    Hasher,
    StepContext,
    run_step,
    wait_for,
    wait_running,
)
from composer.engine.report import Event, NullReporter, Reporter, Status
from composer.errors import ApplyError, ComposerError, LockError
from composer.graph import Condition, Dependency, Desired
from composer.plan.model import Action, Kind, Plan, Step

log = logging.getLogger(__name__)


def default_parallel() -> int:
    """Eight operations per core.

    An engine operation mostly waits for the daemon (and containerd) to
    create or start a container; with two per core a cold ``up`` of 20
    services took half as long again as with eight.
    """
    return 8 * (os.cpu_count() or 2)


@dataclass(frozen=True)
class ApplyOptions:
    """How to apply: parallelism, timeouts and waiting."""

    parallel: int = 0
    stop_timeout: int | None = None
    wait: bool = False
    wait_timeout: float | None = None
    remove_volumes: bool = False
    hasher: Hasher | None = None
    #: Labels added to every object created (``composer.git-commit`` by sync).
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    #: Called before each step: the lease's check, so that a writer that lost
    #: the project's lease stops changing the engine (LockError).
    guard: Guard | None = None


def apply(
    engine: Engine,
    desired: Desired,
    actual: Actual,
    plan: Plan,
    reporter: Reporter | None = None,
    options: ApplyOptions | None = None,
) -> None:
    """Carry out ``plan``; raise ApplyError on the first failure."""
    opts = options or ApplyOptions()
    if plan.problems:
        raise ApplyError("; ".join(plan.problems))
    if plan.image_steps:
        # Builds and pulls come first: a failure leaves the containers alone.
        plan, actual = run_image_steps(engine, desired, actual, plan, reporter)
    ctx = StepContext(
        engine,
        desired,
        actual.images,
        reporter or NullReporter(),
        opts.stop_timeout,
        opts.remove_volumes,
        opts.hasher,
        opts.extra_labels,
        opts.guard,
    )
    workers = opts.parallel or default_parallel()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        _each(
            pool,
            ctx,
            [
                s
                for s in plan.steps
                if s.kind is not Kind.CONTAINER and s.action is Action.CREATE
            ],
        )
        ids = _services(pool, ctx, actual, plan, opts)
        orphans = [
            s
            for s in plan.steps
            if s.kind is Kind.CONTAINER and s.service not in desired.services
        ]
        _each(pool, ctx, orphans)
        _each(
            pool,
            ctx,
            [
                s
                for s in plan.steps
                if s.kind is not Kind.CONTAINER and s.action is Action.REMOVE
            ],
        )
    if opts.wait:
        _wait_all(engine, desired, ids, opts.wait_timeout)


def apply_down(
    engine: Engine,
    desired: Desired,
    plan: Plan,
    reporter: Reporter | None = None,
    options: ApplyOptions | None = None,
    actual: Actual | None = None,
) -> None:
    """Remove what a ``down`` plan lists: containers, then networks and volumes.

    Containers go in reverse dependency order: a service's containers once
    those of every service depending on it are gone, all of a level at once.
    ``actual`` gives the dependencies of services no longer declared (from
    their containers' labels).
    """
    opts = options or ApplyOptions()
    ctx = StepContext(
        engine,
        desired,
        {},
        reporter or NullReporter(),
        opts.stop_timeout,
        opts.remove_volumes,
        guard=opts.guard,
    )
    with ThreadPoolExecutor(max_workers=opts.parallel or default_parallel()) as pool:
        containers = [s for s in plan.steps if s.kind is Kind.CONTAINER]
        for level in removal_levels(containers, _dependencies(desired, actual)):
            _each(pool, ctx, level)
        _each(pool, ctx, [s for s in plan.steps if s.kind is not Kind.CONTAINER])


def _dependencies(desired: Desired, actual: Actual | None) -> dict[str, set[str]]:
    """The services each service depends on: declared, else from its labels."""
    found: dict[str, set[str]] = {}
    for c in actual.containers if actual is not None else ():
        listed = c.labels.get(DEPENDS_ON, "")
        names = {entry.split(":", 1)[0] for entry in listed.split(",") if entry}
        found.setdefault(c.service, set()).update(names)
    for name, node in desired.services.items():
        found[name] = {d.service for d in node.dependencies}
    return found


def removal_levels(
    steps: Sequence[Step], depends: Mapping[str, set[str]]
) -> list[list[Step]]:
    """``steps`` grouped so that dependents come before their dependencies.

    The first level holds the services nothing among ``steps`` depends on;
    each next one the services whose dependents are all in earlier levels.
    Services caught in a cycle (only possible through hand-made labels) go
    last, together.
    """
    services = {s.service or "" for s in steps}
    dependents: dict[str, set[str]] = {name: set() for name in services}
    for name in services:
        for dep in depends.get(name, ()):
            if dep in services and dep != name:
                dependents[dep].add(name)
    levels: list[list[Step]] = []
    done: set[str] = set()
    while len(done) < len(services):
        ready = {n for n in services - done if dependents[n] <= done}
        if not ready:
            ready = services - done
        levels.append([s for s in steps if (s.service or "") in ready])
        done |= ready
    return levels


def _each(pool: ThreadPoolExecutor, ctx: StepContext, steps: Iterable[Step]) -> None:
    futures = [pool.submit(run_step, ctx, s) for s in steps]
    for fut in futures:
        exc = fut.exception()
        if isinstance(exc, ComposerError) and not isinstance(exc, LockError):
            raise ApplyError(exc.message) from exc
        if exc is not None:
            raise exc


def _services(
    pool: ThreadPoolExecutor,
    ctx: StepContext,
    actual: Actual,
    plan: Plan,
    opts: ApplyOptions,
) -> dict[str, list[str]]:
    """Run each service's steps once its dependencies are ready."""
    desired = ctx.desired
    ids: dict[str, list[str]] = {
        name: [
            c.id for c in actual.of_service(name) if c.running or c.state == "exited"
        ]
        for name in desired.services
    }
    lock = threading.Lock()
    stop = threading.Event()
    deadline = (
        None if opts.wait_timeout is None else time.monotonic() + opts.wait_timeout
    )
    pending = [n for n in desired.order if n in desired.selected]
    running: dict[Future[None], str] = {}
    done: set[str] = set()

    def task(name: str) -> None:
        steps = plan.for_service(name)
        if not steps:
            return
        starts = any(s.action is not Action.REMOVE for s in steps)
        for dep in desired.services[name].dependencies:
            if starts and dep.service in desired.services:
                with lock:
                    targets = list(ids.get(dep.service, []))
                _wait(ctx, dep, targets, deadline, stop)
        left: list[str] = []
        for step in sorted(steps, key=lambda s: s.action is not Action.REMOVE):
            ident = run_step(ctx, step)
            if ident:
                left.append(ident)
        with lock:
            kept = [
                i for i in ids.get(name, []) if i not in {s.container_id for s in steps}
            ]
            ids[name] = kept + left

    failure: BaseException | None = None
    while pending or running:
        ready = [n for n in pending if _deps_done(desired, n, done)]
        if failure is None:
            for name in ready:
                pending.remove(name)
                running[pool.submit(task, name)] = name
        if not running:
            break
        finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for fut in finished:
            name = running.pop(fut)
            done.add(name)
            exc = fut.exception()
            if exc is not None and failure is None:
                failure = exc
                stop.set()
        if failure is not None:
            pending.clear()
    if failure is not None:
        if isinstance(failure, ComposerError) and not isinstance(failure, LockError):
            raise ApplyError(failure.message) from failure
        raise failure
    return ids


def _wait(
    ctx: StepContext,
    dep: Dependency,
    targets: list[str],
    deadline: float | None,
    stop: threading.Event,
) -> None:
    """Wait for a dependency's condition, telling the reporter."""
    if dep.condition is Condition.STARTED:
        return
    began = time.monotonic()
    ctx.reporter.event(Event("service", dep.service, Status.WAITING, "Waiting"))
    try:
        wait_for(ctx.engine, dep, targets, deadline, stop)
    except ComposerError as exc:
        elapsed = time.monotonic() - began
        failed = Event("service", dep.service, Status.FAILED, exc.message, elapsed)
        ctx.reporter.event(failed)
        raise
    text = "Healthy" if dep.condition is Condition.HEALTHY else "Exited"
    elapsed = time.monotonic() - began
    ctx.reporter.event(Event("service", dep.service, Status.DONE, text, elapsed))


def _deps_done(desired: Desired, name: str, done: set[str]) -> bool:
    return all(
        d.service in done or d.service not in desired.selected
        for d in desired.services[name].dependencies
    )


def _wait_all(
    engine: Engine,
    desired: Desired,
    ids: Mapping[str, list[str]],
    timeout: float | None,
) -> None:
    deadline = None if timeout is None else time.monotonic() + timeout
    completes = {
        d.service
        for node in desired.services.values()
        for d in node.dependencies
        if d.condition is Condition.COMPLETED
    }
    for name in desired.selected:
        for ident in ids.get(name, []):
            wait_running(engine, name, ident, deadline, name in completes)
