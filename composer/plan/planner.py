"""The planner: a pure function from desired and observed state to a Plan."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from composer.engine.labels import CONFIG_HASH, PROJECT, SERVICE_CONFIG
from composer.engine.observe import Actual, ObservedContainer
from composer.graph import Desired, ServiceNode
from composer.plan.config import compare, decode, effective_config
from composer.plan.handmade import handmade
from composer.plan.images import ImageOptions, plan_images
from composer.plan.model import Action, FieldDiff, Kind, Plan, Step

log = logging.getLogger(__name__)

#: Computes Docker Compose's config hash of a service definition.
Hasher = Callable[[Mapping[str, object]], str]


@dataclass(frozen=True)
class PlanOptions:
    """Command-line choices that change what the plan does."""

    force_recreate: bool = False
    no_recreate: bool = False
    remove_orphans: bool = False
    hasher: Hasher | None = None
    images: ImageOptions = field(default_factory=ImageOptions)
    #: Start containers that completed with exit code 0 (``up``, ``diff``).  The
    #: loops (watch, reconcile, sync) pass False: a finished one-shot whose
    #: restart policy is ``no`` or ``on-failure`` then stays stopped, noted.
    start_completed: bool = True


def plan(desired: Desired, actual: Actual, options: PlanOptions | None = None) -> Plan:
    """Compute the steps that make ``actual`` equal to ``desired``."""
    opts = options or PlanOptions()
    problems: list[str] = []
    warnings: list[str] = []
    steps: list[Step] = []
    services = [desired.services[n] for n in desired.order if n in desired.selected]

    steps += _networks(desired, actual, services, problems, warnings)
    steps += _volumes(desired, actual, services, problems)
    images = plan_images(services, actual, opts.images)
    steps += images.steps
    problems += images.problems
    warnings += images.warnings
    recreated: set[str] = set()
    notes: list[str] = []
    for node in services:
        image_id = actual.images.get(node.image)
        stale = images.stale.get(node.name, ())
        service_steps = _service(
            desired, actual, node, image_id, opts, recreated, stale, notes
        )
        if any(s.action is Action.RECREATE for s in service_steps):
            recreated.add(node.name)
        steps += service_steps

    orphans = _orphans(desired, actual)
    if orphans and opts.remove_orphans:
        steps += [_remove(c, "orphan: service no longer declared") for c in orphans]
    elif orphans:
        warnings.append(
            "found orphan containers ("
            + ", ".join(c.name for c in orphans)
            + ") for this project; run with --remove-orphans to remove them"
        )
    warnings += _undeclared(desired, actual)
    for step in steps:
        log.debug(
            "plan %s %s %s: %s",
            step.action.value,
            step.kind.value,
            step.name,
            step.reason,
        )
    return Plan(
        desired.project,
        tuple(steps),
        tuple(c.name for c in orphans),
        tuple(problems),
        tuple(warnings),
        tuple(notes),
    )


def _require_external(kind: str, name: str, exists: bool, problems: list[str]) -> None:
    """External objects are only looked up: a missing one is a problem."""
    if not exists:
        problems.append(f"{kind} {name} declared as external, but could not be found")


def _networks(
    desired: Desired,
    actual: Actual,
    services: list[ServiceNode],
    problems: list[str],
    warnings: list[str],
) -> list[Step]:
    used = {net for node in services for net in node.networks}
    out: list[Step] = []
    for key, net in desired.networks.items():
        if key not in used:
            continue
        found = actual.networks.get(net.name)
        if net.external:
            _require_external("network", net.name, found is not None, problems)
            continue
        if found is None:
            out.append(Step(Action.CREATE, Kind.NETWORK, net.name, "not found"))
        elif found.labels.get(PROJECT) != desired.project:
            warnings.append(
                f"network {net.name} exists but was not created for project "
                f"{desired.project}; using it as it is"
            )
    return out


def _volumes(
    desired: Desired,
    actual: Actual,
    services: list[ServiceNode],
    problems: list[str],
) -> list[Step]:
    used = {vol for node in services for vol in node.volumes}
    out: list[Step] = []
    for key, vol in desired.volumes.items():
        if key not in used:
            continue
        found = actual.volumes.get(vol.name)
        if vol.external:
            _require_external("volume", vol.name, found is not None, problems)
            continue
        if found is None:
            out.append(Step(Action.CREATE, Kind.VOLUME, vol.name, "not found"))
    return out


def _service(
    desired: Desired,
    actual: Actual,
    node: ServiceNode,
    image_id: str | None,
    opts: PlanOptions,
    recreated: set[str],
    stale: tuple[FieldDiff, ...] = (),
    notes: list[str] | None = None,
) -> list[Step]:
    wanted = effective_config(node, image_id)
    expected = {c.number: c.name for c in desired.containers(node.name)}
    out: list[Step] = []

    by_number: dict[int, list[ObservedContainer]] = {}
    for c in actual.of_service(node.name):
        by_number.setdefault(c.number, []).append(c)
    current: list[ObservedContainer] = []
    for number, group in sorted(by_number.items()):
        canonical = [c for c in group if c.name == expected.get(number, c.name)]
        keep = (canonical or sorted(group, key=lambda c: not c.running))[0]
        current.append(keep)
        for extra in group:
            if extra is not keep:
                out.append(_remove(extra, "left over from an interrupted recreate"))

    diffs = {
        c.id: _differences(c, node, wanted, opts) + _observed(c, node, desired) + stale
        for c in current
    }
    outdated = [c for c in current if diffs[c.id]]
    if len(current) > node.replicas:
        surplus = len(current) - node.replicas
        victims = sorted(current, key=lambda c: (not diffs[c.id], -c.number))[:surplus]
        for c in sorted(victims, key=lambda c: c.number):
            out.append(_remove(c, f"scale down to {node.replicas}"))
        current = [c for c in current if c not in victims]
        outdated = [c for c in outdated if c in current]

    restart_deps = {
        d.service
        for d in node.dependencies
        if d.service in recreated and (d.restart or d.kind != "depends_on")
    }
    for c in current:
        steps = _converge(c, node, expected, diffs[c.id], opts, restart_deps)
        if not steps and _left_completed(c, node, opts) and notes is not None:
            notes.append(
                f"container {c.name} completed (exit code 0) and its restart "
                f"policy is {_policy(node)}: left stopped; `composer up` starts it"
            )
        out += steps

    used = {c.number for c in current}
    free = (n for n in range(1, 10**6) if n not in used)
    for _ in range(node.replicas - len(current)):
        number = next(free)
        name = expected.get(number) or f"{desired.project}-{node.name}-{number}"
        reason = "not found" if not current else f"scale up to {node.replicas}"
        out.append(Step(Action.CREATE, Kind.CONTAINER, name, reason, node.name, number))
    return out


def _converge(
    c: ObservedContainer,
    node: ServiceNode,
    expected: Mapping[int, str],
    diffs: tuple[FieldDiff, ...],
    opts: PlanOptions,
    restart_deps: set[str],
) -> list[Step]:
    name = expected.get(c.number, c.name)

    def step(action: Action, reason: str, d: tuple[FieldDiff, ...] = ()) -> Step:
        return Step(action, Kind.CONTAINER, name, reason, node.name, c.number, c.id, d)

    if opts.force_recreate and not opts.no_recreate:
        return [step(Action.RECREATE, "--force-recreate", diffs)]
    if diffs and not opts.no_recreate:
        return [step(Action.RECREATE, "configuration changed", diffs)]
    if c.name != name and not opts.no_recreate:
        return [step(Action.RECREATE, f"name {c.name} differs from {name}")]
    if restart_deps and c.running:
        names = ", ".join(sorted(restart_deps))
        return [step(Action.RESTART, f"dependency {names} was recreated")]
    if not c.running and not _left_completed(c, node, opts):
        state = c.state or "not running"
        if c.state == "exited" and c.exit_code is not None:
            state = f"exited with code {c.exit_code}"
        return [step(Action.START, f"container is {state}")]
    return []


def _policy(node: ServiceNode) -> str:
    return str(node.definition.get("restart") or "no").split(":", 1)[0]


def _left_completed(c: ObservedContainer, node: ServiceNode, opts: PlanOptions) -> bool:
    """A loop leaves a finished one-shot alone unless its policy restarts it."""
    return (
        not opts.start_completed
        and not c.running
        and c.state == "exited"
        and c.exit_code == 0
        and _policy(node) in ("no", "on-failure")
    )


def _differences(
    c: ObservedContainer,
    node: ServiceNode,
    wanted: Mapping[str, object],
    opts: PlanOptions,
) -> tuple[FieldDiff, ...]:
    stored = decode(c.labels.get(SERVICE_CONFIG))
    if stored is not None:
        return compare(stored, wanted)
    # Made by Docker Compose: only its config hash and the image ID can tell.
    out: list[FieldDiff] = []
    if opts.hasher is not None:
        old_hash = c.labels.get(CONFIG_HASH)
        new_hash = opts.hasher(node.definition)
        if old_hash != new_hash:
            out.append(FieldDiff("config hash", old_hash, new_hash))
    if wanted.get("image_id") and c.image_id != wanted.get("image_id"):
        out.append(FieldDiff("image ID", c.image_id, wanted.get("image_id")))
    return tuple(out)


def _observed(
    c: ObservedContainer, node: ServiceNode, desired: Desired
) -> tuple[FieldDiff, ...]:
    """Drift the labels cannot show: networks left, labels edited or copied."""
    out: list[FieldDiff] = list(handmade(c))
    names = sorted(desired.networks[k].name for k in node.networks)
    if c.networks is not None and any(name not in c.networks for name in names):
        out.append(FieldDiff("networks (observed)", sorted(c.networks), names))
    labels = node.definition.get("labels")
    if isinstance(labels, Mapping):
        for key, value in sorted(labels.items()):
            if c.labels.get(key) != value:
                out.append(
                    FieldDiff(f"labels.{key} (observed)", c.labels.get(key), value)
                )
    return tuple(out)


def _orphans(desired: Desired, actual: Actual) -> list[ObservedContainer]:
    return [
        c
        for c in actual.containers
        if not c.oneoff and c.service not in desired.services
    ]


def _undeclared(desired: Desired, actual: Actual) -> list[str]:
    """Networks and volumes of the project no longer declared: reported only.

    ``down --remove-orphans`` removes such networks; volumes hold data and are
    only removed by ``down --volumes``.
    """
    networks = {n.name for n in desired.networks.values()}
    volumes = {v.name for v in desired.volumes.values()}
    out = [
        f"network {n.name} belongs to this project but is no longer declared"
        for n in actual.project_networks()
        if n.name not in networks
    ]
    out += [
        f"volume {v.name} belongs to this project but is no longer declared"
        for v in actual.project_volumes()
        if v.name not in volumes
    ]
    return out


def _remove(c: ObservedContainer, reason: str) -> Step:
    return Step(
        Action.REMOVE, Kind.CONTAINER, c.name, reason, c.service, c.number, c.id
    )
