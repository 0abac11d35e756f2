"""Carry out single plan steps on the engine, and wait for conditions."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from composer.engine.build import (
    container_labels,
    container_spec,
    network_spec,
    volume_spec,
)
from composer.engine.client import Engine
from composer.engine.clock import engine_time
from composer.engine.labels import CREATED
from composer.engine.report import Event, Reporter, Status
from composer.engine.spec import ContainerSpec
from composer.errors import ApplyError, ComposerError, EngineError
from composer.graph import Condition, Dependency, Desired
from composer.plan.model import Action, Kind, Step

log = logging.getLogger(__name__)

Hasher = Callable[[Mapping[str, object]], str]
#: The engine's answer to starting a container whose containerd task was left
#: behind by an engine stopped mid-start.
_STALE_TASK = re.compile(r"task [0-9a-f]+: already exists")
#: Called before each step; raises (LockError) when the apply must stop.
Guard = Callable[[], None]


@dataclass(frozen=True)
class StepContext:
    """What every step needs besides the step itself."""

    engine: Engine
    desired: Desired
    images: Mapping[str, str]
    reporter: Reporter
    stop_timeout: int | None = None
    remove_volumes: bool = False
    hasher: Hasher | None = None
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    guard: Guard | None = None


_VERBS = {
    Action.CREATE: ("Creating", "Started"),
    Action.START: ("Starting", "Started"),
    Action.RESTART: ("Restarting", "Restarted"),
    Action.STOP: ("Stopping", "Stopped"),
    Action.RECREATE: ("Recreating", "Recreated"),
    Action.REMOVE: ("Removing", "Removed"),
}


def run_step(ctx: StepContext, step: Step) -> str | None:
    """Perform one step, reporting it; return the container ID it leaves."""
    if ctx.guard is not None:
        ctx.guard()
    doing, done = _VERBS[step.action]
    if step.kind is not Kind.CONTAINER and step.action is Action.CREATE:
        done = "Created"
    began = time.monotonic()
    ctx.reporter.event(Event(step.kind.value, step.name, Status.WORKING, doing))
    try:
        ident = _dispatch(ctx, step)
    except ComposerError as exc:
        elapsed = time.monotonic() - began
        ctx.reporter.event(
            Event(step.kind.value, step.name, Status.FAILED, exc.message, elapsed)
        )
        raise
    elapsed = time.monotonic() - began
    ctx.reporter.event(Event(step.kind.value, step.name, Status.DONE, done, elapsed))
    return ident


def _dispatch(ctx: StepContext, step: Step) -> str | None:
    engine = ctx.engine
    if step.kind is Kind.NETWORK:
        if step.action is Action.CREATE:
            key = _key_of(ctx.desired.networks, step.name)
            net = network_spec(ctx.desired, ctx.desired.networks[key])
            labels = {**net.labels, **ctx.extra_labels}
            engine.create_network(dataclasses.replace(net, labels=labels))
        else:
            engine.remove_network(step.name)
        return None
    if step.kind is Kind.VOLUME:
        if step.action is Action.CREATE:
            key = _key_of(ctx.desired.volumes, step.name)
            vol = volume_spec(ctx.desired, ctx.desired.volumes[key])
            labels = {**vol.labels, **ctx.extra_labels}
            engine.create_volume(dataclasses.replace(vol, labels=labels))
        else:
            engine.remove_volume(step.name)
        return None
    ident = step.container_id or ""
    if step.action is Action.CREATE:
        ident = engine.create_container(_spec(ctx, step), step.name)
        engine.start(ident)
    elif step.action is Action.START:
        ident = _start(ctx, step, ident)
    elif step.action is Action.RESTART:
        engine.stop(ident, ctx.stop_timeout)
        engine.start(ident)
    elif step.action is Action.STOP:
        engine.stop(ident, ctx.stop_timeout)
    elif step.action is Action.REMOVE:
        engine.stop(ident, ctx.stop_timeout)
        engine.remove_container(ident, volumes=ctx.remove_volumes)
        return None
    elif step.action is Action.RECREATE:
        ident = _recreate(ctx, step)
    return ident


def _start(ctx: StepContext, step: Step, ident: str) -> str:
    """Start a container; recreate it when the engine kept a stale task for it.

    An engine stopped while it was starting the container can come back with
    the container "created" and containerd still holding its task: every
    start then fails with "task ...: already exists".  Only a new container
    gets past it; ``_recreate`` keeps its anonymous volumes.
    """
    try:
        ctx.engine.start(ident)
    except EngineError as exc:
        if not _STALE_TASK.search(exc.message):
            raise
        log.warning(
            "the engine kept a stale task for %s (%s); recreating it",
            step.name,
            exc.message,
        )
        return _recreate(ctx, step)
    return ident


def _key_of(nodes: Mapping[str, object], name: str) -> str:
    for key, node in nodes.items():
        if getattr(node, "name", None) == name:
            return key
    raise ApplyError(f"{name} is not declared by the project")


def _spec(ctx: StepContext, step: Step) -> ContainerSpec:
    node = ctx.desired.services[step.service or ""]
    image_id = ctx.images.get(node.image)
    config_hash = ctx.hasher(node.definition) if ctx.hasher else None
    labels = container_labels(
        ctx.desired, node, step.number or 1, image_id, config_hash
    )
    labels = {**labels, **ctx.extra_labels}
    now = engine_time(ctx.engine)
    if now is not None:
        labels[CREATED] = f"{now:.0f}"
    return container_spec(ctx.desired, node, labels)


def _recreate(ctx: StepContext, step: Step) -> str:
    """Replace a container without ever leaving the service without one.

    The new container is created under a temporary name first; the old one is
    stopped and renamed aside, the new one takes the name and starts, and only
    then is the old one removed.  Any failure puts the old one back.
    """
    engine = ctx.engine
    old = step.container_id or ""
    spec = _keep_anonymous(_spec(ctx, step), engine.inspect_container(old))
    new = engine.create_container(spec, f"{old[:12]}_{step.name}")
    # Unique, so that a container already set aside by a crashed run can be
    # set aside again.
    aside = f"{step.name}_composer-old-{uuid.uuid4().hex[:12]}"
    try:
        engine.stop(old, ctx.stop_timeout)
        engine.rename(old, aside)
        engine.rename(new, step.name)
        engine.start(new)
    except ComposerError:
        log.warning("recreate of %s failed; restoring the old container", step.name)
        _restore(engine, old, new, step.name)
        raise
    engine.remove_container(old)
    return new


def _keep_anonymous(spec: ContainerSpec, old: Mapping[str, Any]) -> ContainerSpec:
    """Mount the old container's anonymous volumes at the same targets.

    As Docker Compose does, so that data in an anonymous volume survives a
    recreate.
    """
    previous = {
        str(m.get("Destination")): str(m.get("Name"))
        for m in old.get("Mounts") or []
        if m.get("Type") == "volume" and m.get("Name")
    }
    mounts = tuple(
        dataclasses.replace(m, source=previous[m.target])
        if m.type == "volume" and not m.source and m.target in previous
        else m
        for m in spec.mounts
    )
    return dataclasses.replace(spec, mounts=mounts)


def _restore(engine: Engine, old: str, new: str, name: str) -> None:
    undo: list[tuple[Callable[..., None], tuple[str, ...]]] = [
        (engine.remove_container, (new,)),
        (engine.rename, (old, name)),
        (engine.start, (old,)),
    ]
    for call, args in undo:
        try:
            call(*args)
        except ComposerError as exc:
            log.warning("while restoring %s: %s", name, exc.message)


def wait_for(
    engine: Engine,
    dependency: Dependency,
    containers: list[str],
    deadline: float | None,
    stop: threading.Event,
) -> None:
    """Block until ``dependency``'s condition holds on its containers."""
    if dependency.condition is Condition.STARTED:
        return
    for ident in containers:
        if dependency.condition is Condition.COMPLETED:
            _wait_completed(engine, dependency.service, ident, deadline)
        else:
            _wait_healthy(engine, dependency.service, ident, deadline, stop)


def _wait_completed(
    engine: Engine, service: str, ident: str, deadline: float | None
) -> None:
    timeout = None if deadline is None else max(deadline - time.monotonic(), 1.0)
    code = engine.wait(ident, timeout)
    if code != 0:
        raise ApplyError(f"service {service} didn't complete successfully: exit {code}")


def _wait_healthy(
    engine: Engine,
    service: str,
    ident: str,
    deadline: float | None,
    stop: threading.Event,
) -> None:
    while not stop.is_set():
        state = engine.inspect_container(ident).get("State") or {}
        health = (state.get("Health") or {}).get("Status")
        if health is None:
            raise ApplyError(
                f"service {service} has no healthcheck, so it cannot become healthy"
            )
        if health == "healthy":
            return
        if health == "unhealthy":
            raise ApplyError(f"service {service} is unhealthy")
        if not state.get("Running"):
            raise ApplyError(f"service {service} exited while waiting for health")
        if deadline is not None and time.monotonic() > deadline:
            raise ApplyError(f"timed out waiting for service {service} to be healthy")
        time.sleep(0.25)
    raise ApplyError("interrupted")


def wait_running(
    engine: Engine,
    service: str,
    ident: str,
    deadline: float | None,
    may_complete: bool = False,
) -> None:
    """For ``--wait``: block until a container runs (and is healthy if checked).

    Only a service that another waits on with ``service_completed_successfully``
    (``may_complete``) may instead have exited with code 0; any other service
    that is not running fails the wait, as Compose's ``up --wait`` does.
    """
    while True:
        state = engine.inspect_container(ident).get("State") or {}
        health = (state.get("Health") or {}).get("Status")
        if state.get("Status") == "exited" and state.get("ExitCode") == 0:
            if may_complete:
                return
            raise ApplyError(
                f"service {service} exited with code 0 instead of running (only "
                "a dependency with condition service_completed_successfully may "
                "complete)"
            )
        if state.get("Running") and health in (None, "healthy"):
            return
        if health == "unhealthy":
            raise ApplyError(f"service {service} is unhealthy")
        if not state.get("Running") and state.get("Status") == "exited":
            raise ApplyError(f"service {service} exited with {state.get('ExitCode')}")
        if deadline is not None and time.monotonic() > deadline:
            raise ApplyError(f"timed out waiting for service {service}")
        time.sleep(0.25)
