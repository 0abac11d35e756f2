"""The only code that changes the swarm: run a Swarm plan's steps in order.

Services are created and updated with their full spec; the swarm carries out
each update as a rolling update under the service's ``update_config``. With
``wait`` apply then polls until every service has all its tasks running on the
new spec, and fails with the tasks' own errors when an update pauses, rolls
back or does not finish in time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from composer.engine.report import Event, Reporter, Status
from composer.errors import ApplyError, EngineError
from composer.plan.model import Action, Kind, Plan, Step
from composer.targets.swarm.client import SwarmEngine
from composer.targets.swarm.model import SwarmActual, SwarmDesired
from composer.targets.swarm.spec import Directory, to_api

log = logging.getLogger(__name__)

#: Seconds between two polls of tasks or leftovers.
POLL = 0.5
#: Seconds ``down`` waits for task containers to go before removing networks.
DRAIN_TIMEOUT = 60.0
#: Update states that mean the swarm gave up on the new spec.
FAILED_UPDATES = ("paused", "rollback_started", "rollback_paused", "rollback_completed")


@dataclass(frozen=True)
class SwarmApplyOptions:
    """How to apply: wait for convergence and how long, remove volumes on down."""

    wait: bool = False
    wait_timeout: float | None = None
    remove_volumes: bool = False


@dataclass
class _Run:
    engine: SwarmEngine
    desired: SwarmDesired | None
    actual: SwarmActual
    reporter: Reporter
    ids: dict[str, dict[str, str]] = field(default_factory=dict)

    def names(self) -> Directory:
        return Directory(self.ids["networks"], self.ids["secrets"], self.ids["configs"])


def apply_swarm(
    engine: SwarmEngine,
    desired: SwarmDesired,
    actual: SwarmActual,
    plan: Plan,
    reporter: Reporter,
    options: SwarmApplyOptions,
) -> None:
    """Apply ``plan`` (made from ``desired`` and ``actual``) to the swarm."""
    run = _Run(engine, desired, actual, reporter, _ids(actual))
    for step in plan.steps:
        _do(run, step)
    if options.wait:
        wait_converged(engine, desired, reporter, options.wait_timeout)


def apply_swarm_down(
    engine: SwarmEngine,
    actual: SwarmActual,
    plan: Plan,
    reporter: Reporter,
    options: SwarmApplyOptions,
) -> None:
    """Remove the project's services, wait for their tasks, remove the rest."""
    run = _Run(engine, None, actual, reporter, _ids(actual))
    services = [s for s in plan.steps if s.kind is Kind.SERVICE]
    for step in services:
        _do(run, step)
    if services:
        _drain(engine, actual.project)
    for step in plan.steps:
        if step.kind is not Kind.SERVICE:
            _do(run, step)
    if options.remove_volumes:
        for name in engine.project_volumes(actual.project):
            _report(reporter, "volume", name, Status.WORKING, "removing")
            engine.remove_named_volume(name)
            _report(reporter, "volume", name, Status.DONE, "removed")


def _ids(actual: SwarmActual) -> dict[str, dict[str, str]]:
    return {
        "networks": {n.name: n.id for n in actual.networks.values()},
        "secrets": {s.name: s.id for s in actual.secrets.values()},
        "configs": {c.name: c.id for c in actual.configs.values()},
    }


def _do(run: _Run, step: Step) -> None:
    handler = _HANDLERS.get((step.action, step.kind))
    if handler is None:
        raise ApplyError(f"cannot {step.action.value} a {step.kind.value} on swarm")
    started = time.monotonic()
    _report(run.reporter, step.kind.value, step.name, Status.WORKING, step.reason)
    try:
        handler(run, step)
    except EngineError as exc:
        _report(run.reporter, step.kind.value, step.name, Status.FAILED, exc.message)
        raise ApplyError(
            f"{step.action.value} {step.kind.value} {step.name}: {exc.message}"
        ) from exc
    done = {Action.CREATE: "created", Action.UPDATE: "updated"}.get(
        step.action, "removed"
    )
    _report(
        run.reporter,
        step.kind.value,
        step.name,
        Status.DONE,
        done,
        time.monotonic() - started,
    )


def _create_network(run: _Run, step: Step) -> None:
    assert run.desired is not None
    net = next(n for n in run.desired.networks.values() if n.name == step.name)
    run.ids["networks"][net.name] = run.engine.create_overlay(net)


def _create_blob(run: _Run, step: Step) -> None:
    assert run.desired is not None
    secret = step.kind is Kind.SECRET
    blobs = run.desired.secrets if secret else run.desired.configs
    blob = next(b for b in blobs.values() if b.name == step.name)
    make = run.engine.create_secret if secret else run.engine.create_config
    run.ids["secrets" if secret else "configs"][blob.name] = make(
        blob.name, blob.data, blob.labels
    )


def _create_service(run: _Run, step: Step) -> None:
    assert run.desired is not None and step.service is not None
    view = run.desired.services[step.service].view
    run.engine.create_service(to_api(view, run.desired.project, run.names()))


def _update_service(run: _Run, step: Step) -> None:
    assert run.desired is not None and step.service is not None
    found = run.actual.services[step.name]
    view = run.desired.services[step.service].view
    spec = to_api(view, run.desired.project, run.names())
    run.engine.update_service(found.id, found.version, spec)


def _remove_service(run: _Run, step: Step) -> None:
    run.engine.remove_service(run.actual.services[step.name].id)


def _remove_secret(run: _Run, step: Step) -> None:
    ident = run.actual.secrets[step.name].id
    _retry(lambda: run.engine.remove_secret(ident))


def _remove_config(run: _Run, step: Step) -> None:
    ident = run.actual.configs[step.name].id
    _retry(lambda: run.engine.remove_config(ident))


def _remove_network(run: _Run, step: Step) -> None:
    ident = run.actual.networks[step.name].id
    _retry(lambda: run.engine.remove_swarm_network(ident))


_Handler = Callable[[_Run, Step], None]
_HANDLERS: Mapping[tuple[Action, Kind], _Handler] = {
    (Action.CREATE, Kind.NETWORK): _create_network,
    (Action.CREATE, Kind.SECRET): _create_blob,
    (Action.CREATE, Kind.CONFIG): _create_blob,
    (Action.CREATE, Kind.SERVICE): _create_service,
    (Action.UPDATE, Kind.SERVICE): _update_service,
    (Action.REMOVE, Kind.SERVICE): _remove_service,
    (Action.REMOVE, Kind.SECRET): _remove_secret,
    (Action.REMOVE, Kind.CONFIG): _remove_config,
    (Action.REMOVE, Kind.NETWORK): _remove_network,
}


def _retry(call: Callable[[], None], timeout: float = DRAIN_TIMEOUT) -> None:
    """Retry a removal the swarm refuses while tasks still let go of the object."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            call()
            return
        except EngineError as exc:
            if "not found" in exc.message or time.monotonic() >= deadline:
                if "not found" in exc.message:
                    return
                raise
            log.debug("retrying a removal: %s", exc.message)
            time.sleep(POLL)


def _drain(engine: SwarmEngine, project: str) -> None:
    """Wait (bounded) until no task container of the project is left here.

    The swarm leaves the containers of completed job tasks behind when their
    service goes; once the services are removed, exited ones are removed here.
    """
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while engine.project_containers(project):
        for ident in engine.finished_task_containers(project):
            try:
                engine.remove_task_container(ident)
            except EngineError as exc:  # the swarm's own clean-up won the race
                log.debug("task container %s: %s", ident, exc.message)
        if time.monotonic() >= deadline:
            log.warning("task containers of %s are still stopping", project)
            return
        time.sleep(POLL)


# -- waiting for convergence -------------------------------------------------


def wait_converged(
    engine: SwarmEngine,
    desired: SwarmDesired,
    reporter: Reporter,
    timeout: float | None,
) -> None:
    """Poll until every service runs all its tasks on its current spec."""
    deadline = time.monotonic() + (timeout or 300.0)
    pending = {s.name for s in desired.services.values()}
    started = time.monotonic()
    # A job looks stuck for a moment between a task failing and its retry being
    # made; it has failed only when it still looks so at the next poll.
    stuck: set[str] = set()
    for name in sorted(pending):
        _report(reporter, "service", name, Status.WAITING, "converging")
    while pending:
        for name in sorted(pending):
            state = _service_state(engine, name)
            if state.stuck and name not in stuck:
                stuck.add(name)
                continue
            stuck.discard(name)
            if state.failed or state.stuck:
                _report(reporter, "service", name, Status.FAILED, state.text)
                raise ApplyError(f"service {name}: {state.text}")
            if state.converged:
                pending.discard(name)
                _report(
                    reporter,
                    "service",
                    name,
                    Status.DONE,
                    state.text,
                    time.monotonic() - started,
                )
        if not pending:
            return
        if time.monotonic() >= deadline:
            texts = "; ".join(
                f"{n}: {_service_state(engine, n).text}" for n in sorted(pending)
            )
            raise ApplyError(f"services did not converge in time: {texts}")
        time.sleep(POLL)


@dataclass(frozen=True)
class _State:
    converged: bool
    failed: bool
    text: str
    #: A job whose run has failed tasks and nothing left that could finish it.
    stuck: bool = False


def _service_state(engine: SwarmEngine, name: str) -> _State:
    service = engine.inspect_service(name)
    update: Mapping[str, Any] = service.get("UpdateStatus") or {}
    tasks = engine.tasks(str(service["ID"]))
    mode: Mapping[str, Any] = (service.get("Spec") or {}).get("Mode") or {}
    if "ReplicatedJob" in mode or "GlobalJob" in mode:
        return job_state(service, tasks)
    errors = failing_tasks(tasks)
    if update.get("State") in FAILED_UPDATES:
        detail = update.get("Message") or update.get("State")
        return _State(False, True, f"update {detail}{errors}")
    wanted = (mode.get("Replicated") or {}).get("Replicas")
    template = ((service.get("Spec") or {}).get("TaskTemplate") or {}).get(
        "ContainerSpec"
    )
    live = [t for t in tasks if t.get("DesiredState") == "running"]
    running = [
        t
        for t in live
        if (t.get("Status") or {}).get("State") == "running"
        and (t.get("Spec") or {}).get("ContainerSpec") == template
    ]
    updating = update.get("State") in ("updating", "rollback_started")
    count_ok = len(running) == wanted if wanted is not None else bool(live)
    converged = count_ok and len(running) == len(live) and not updating
    shown = wanted if wanted is not None else len(live)
    return _State(converged, False, f"{len(running)}/{shown} running{errors}")


#: Task states from which a task can still complete.
_ACTIVE = frozenset(
    {
        "new", "allocated", "pending", "assigned", "accepted", "preparing",
        "ready", "starting", "running",
    }
)  # fmt: skip


def job_state(service: Mapping[str, Any], tasks: list[dict[str, Any]]) -> _State:
    """How far the job's current run is: done when its completions are in.

    Only the tasks of the run the spec last started count (the job's
    iteration); tasks of earlier runs are history.
    """
    iteration = ((service.get("JobStatus") or {}).get("JobIteration") or {}).get(
        "Index"
    )
    run = [t for t in tasks if (t.get("JobIteration") or {}).get("Index") == iteration]
    done = [t for t in run if (t.get("Status") or {}).get("State") == "complete"]
    active = [t for t in run if (t.get("Status") or {}).get("State") in _ACTIVE]
    mode: Mapping[str, Any] = (service.get("Spec") or {}).get("Mode") or {}
    replicated = mode.get("ReplicatedJob")
    if replicated is not None:
        wanted = int(
            replicated.get("TotalCompletions") or replicated.get("MaxConcurrent") or 1
        )
        finished = len(done) >= wanted
        shown = f"{len(done)}/{wanted} completed"
    else:
        # One task per node: every node that was given one has completed it.
        nodes = {t.get("NodeID") for t in run}
        finished = bool(run) and nodes == {t.get("NodeID") for t in done}
        shown = f"{len({t.get('NodeID') for t in done})}/{len(nodes)} nodes completed"
    errors = failing_tasks(run)
    stuck = not finished and not active and bool(errors)
    text = f"job failed: {shown}{errors}" if stuck else f"{shown}{errors}"
    return _State(finished, False, text, stuck)


def failing_tasks(tasks: list[dict[str, Any]], limit: int = 3) -> str:
    """The latest failed or rejected tasks' errors, as text for a message.

    A task the scheduler cannot place stays ``pending`` with the reason in its
    error (``no suitable node ...``); those count too.
    """
    bad = [t for t in tasks if _failing(t)]
    bad.sort(key=lambda t: str(t.get("UpdatedAt", "")), reverse=True)
    notes = [
        f"task {str(t.get('ID', ''))[:12]} {t['Status'].get('State')}: "
        f"{t['Status'].get('Err') or t['Status'].get('Message', '')}"
        for t in bad[:limit]
    ]
    return "" if not notes else " (" + "; ".join(notes) + ")"


def _failing(task: Mapping[str, Any]) -> bool:
    status: Mapping[str, Any] = task.get("Status") or {}
    if status.get("State") in ("failed", "rejected"):
        return True
    return (
        status.get("State") == "pending"
        and task.get("DesiredState") == "running"
        and bool(status.get("Err"))
    )


def _report(
    reporter: Reporter,
    kind: str,
    name: str,
    status: Status,
    text: str,
    elapsed: float = 0.0,
) -> None:
    reporter.event(Event(kind, name, status, text, elapsed))
