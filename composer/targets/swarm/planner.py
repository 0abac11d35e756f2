"""The Swarm plan: a pure function of desired and observed Swarm state.

The steps come in the order apply runs them: networks, secrets and configs
are created first, then services are created or updated (each update a rolling
update the swarm carries out), then what the project no longer declares is
removed: services, then the secret and config versions and networks nothing
uses any more.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from composer.plan.model import Action, FieldDiff, Kind, Plan, Step, secret_name
from composer.targets.swarm.model import (
    BlobDef,
    ObservedObject,
    SwarmActual,
    SwarmDesired,
)
from composer.targets.swarm.spec import JOB_MODES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SwarmPlanOptions:
    """What the user asked for beyond the file."""

    remove_orphans: bool = False
    #: Services named on the command line: leave the others alone.
    only: tuple[str, ...] = ()


def plan_swarm(
    desired: SwarmDesired,
    actual: SwarmActual,
    options: SwarmPlanOptions | None = None,
) -> Plan:
    """The steps that make the swarm run what ``desired`` declares."""
    options = options or SwarmPlanOptions()
    steps: list[Step] = []
    problems: list[str] = []
    for net in desired.networks.values():
        found = actual.networks.get(net.name)
        if net.external:
            if found is None:
                problems.append(f"external network {net.name} does not exist")
        elif found is None:
            steps.append(Step(Action.CREATE, Kind.NETWORK, net.name, "not found"))
    for kind, blobs in ((Kind.SECRET, desired.secrets), (Kind.CONFIG, desired.configs)):
        steps.extend(_blob_steps(kind, blobs, _observed(actual, kind), problems))
    for service in desired.services.values():
        step = _service_step(service.name, service.key, service.view, actual)
        if step is not None:
            steps.append(step)
    orphans = _orphans(desired, actual)
    if options.remove_orphans and not options.only:
        steps.extend(
            Step(
                Action.REMOVE, Kind.SERVICE, name, "orphan: service no longer declared"
            )
            for name in orphans
        )
    if not options.only:
        steps.extend(_leftovers(desired, actual, orphans, options.remove_orphans))
    for step in steps:
        log.debug(
            "swarm plan: %s %s %s: %s", step.action, step.kind, step.name, step.reason
        )
    return Plan(
        desired.project,
        tuple(steps),
        orphans=tuple(orphans) if not options.remove_orphans else (),
        problems=tuple(problems),
        warnings=desired.warnings,
    )


def plan_swarm_down(actual: SwarmActual) -> Plan:
    """Remove everything the project owns: services, then the rest."""
    steps = [
        Step(Action.REMOVE, Kind.SERVICE, name, "down")
        for name in sorted(actual.services)
    ]
    for attr, kind in (
        ("secrets", Kind.SECRET),
        ("configs", Kind.CONFIG),
        ("networks", Kind.NETWORK),
    ):
        steps.extend(
            Step(Action.REMOVE, kind, o.name, "down") for o in actual.owned(attr)
        )
    return Plan(actual.project, tuple(steps))


def _observed(actual: SwarmActual, kind: Kind) -> Mapping[str, ObservedObject]:
    return actual.secrets if kind is Kind.SECRET else actual.configs


def _blob_steps(
    kind: Kind,
    blobs: Mapping[str, BlobDef],
    observed: Mapping[str, ObservedObject],
    problems: list[str],
) -> list[Step]:
    steps = []
    for blob in blobs.values():
        if blob.name in observed:
            continue
        if blob.external:
            problems.append(f"external {kind.value} {blob.name} does not exist")
            continue
        older = sorted(
            o.name
            for o in observed.values()
            if o.owned and o.labels.get("composer.swarm.source") == blob.key
        )
        reason = "content changed: new version" if older else "not found"
        diffs = (
            FieldDiff(
                "sha256",
                older[-1].rsplit("_", 1)[-1] if older else None,
                blob.digest[:12],
            ),
        )
        steps.append(Step(Action.CREATE, kind, blob.name, reason, diffs=diffs))
    return steps


def _service_step(
    name: str, key: str, view: Mapping[str, Any], actual: SwarmActual
) -> Step | None:
    found = actual.services.get(name)
    job = view["deploy"]["mode"] in JOB_MODES
    if found is None:
        reason = "not found: the job runs" if job else "not found"
        return Step(Action.CREATE, Kind.SERVICE, name, reason, service=key)
    # A job that ran with this very spec is done: it is not run again.
    diffs = field_diffs(found.view, view)
    if not diffs:
        return None
    if job:
        reason = "configuration changed: the job runs again"
    else:
        order = view["deploy"]["update_config"]["order"]
        reason = f"configuration changed: rolling update ({order})"
    return Step(Action.UPDATE, Kind.SERVICE, name, reason, service=key, diffs=diffs)


def field_diffs(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> tuple[FieldDiff, ...]:
    """The differing leaves of two views, nested mappings as dotted paths."""
    flat_old, flat_new = _flatten(old), _flatten(new)
    out = []
    for path in sorted(set(flat_old) | set(flat_new)):
        before, after = flat_old.get(path), flat_new.get(path)
        if before != after:
            leaf = path.rsplit(".", 1)[-1]
            sensitive = path.startswith("environment.") and secret_name(leaf)
            out.append(FieldDiff(path, before, after, sensitive))
    return tuple(out)


def _flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, Mapping) and item:
            out.update(_flatten(item, path + "."))
        elif item is not None and item != {}:
            out[path] = item
    return out


def _orphans(desired: SwarmDesired, actual: SwarmActual) -> list[str]:
    declared = {s.name for s in desired.services.values()}
    return sorted(name for name in actual.services if name not in declared)


def _leftovers(
    desired: SwarmDesired,
    actual: SwarmActual,
    orphans: list[str],
    remove_orphans: bool,
) -> list[Step]:
    """Secret and config versions and networks that nothing will use any more."""
    kept = set() if remove_orphans else set(orphans)
    in_use: set[str] = set()
    for name in kept:
        view = actual.services[name].view
        in_use.update(ref["name"] for ref in view["secrets"])
        in_use.update(ref["name"] for ref in view["configs"])
        in_use.update(net["name"] for net in view["networks"])
    steps = []
    wanted = {
        Kind.SECRET: {b.name for b in desired.secrets.values()},
        Kind.CONFIG: {b.name for b in desired.configs.values()},
        Kind.NETWORK: {n.name for n in desired.networks.values()},
    }
    for attr, kind in (
        ("secrets", Kind.SECRET),
        ("configs", Kind.CONFIG),
        ("networks", Kind.NETWORK),
    ):
        for obj in actual.owned(attr):
            if obj.name in wanted[kind] or obj.name in in_use:
                continue
            steps.append(Step(Action.REMOVE, kind, obj.name, "no longer used"))
    return steps
