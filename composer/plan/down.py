"""The plan of ``down``: remove the project's containers, networks and,
when asked, its volumes; never an external object or another project's."""

from __future__ import annotations

from dataclasses import dataclass

from composer.engine.labels import PROJECT
from composer.engine.observe import Actual
from composer.graph import Desired
from composer.plan.model import Action, Kind, Plan, Step


@dataclass(frozen=True)
class DownOptions:
    """Choices of ``composer down``."""

    volumes: bool = False
    remove_orphans: bool = False


def plan_down(desired: Desired, actual: Actual, options: DownOptions) -> Plan:
    """The steps that take the project off the engine."""
    steps: list[Step] = []
    warnings: list[str] = []
    kept_networks: set[str] = set()
    orphans: list[str] = []
    for c in actual.containers:
        if c.service not in desired.services and not options.remove_orphans:
            orphans.append(c.name)
            kept_networks.update(c.networks or ())
            continue
        reason = "orphan" if c.service not in desired.services else "down"
        steps.append(
            Step(
                Action.REMOVE, Kind.CONTAINER, c.name, reason, c.service, c.number, c.id
            )
        )
    if orphans:
        warnings.append(
            "found orphan containers ("
            + ", ".join(orphans)
            + ") for this project; run with --remove-orphans to remove them"
        )

    declared = {n.name: n for n in desired.networks.values()}
    for net in actual.networks.values():
        node = declared.get(net.name)
        ours = net.labels.get(PROJECT) == desired.project
        if (node is not None and node.external) or not ours:
            continue
        if node is None and not options.remove_orphans:
            continue
        if net.name in kept_networks:
            warnings.append(f"network {net.name} is kept: orphan containers use it")
            continue
        steps.append(Step(Action.REMOVE, Kind.NETWORK, net.name, "down"))

    if options.volumes:
        external = {v.name for v in desired.volumes.values() if v.external}
        for vol in actual.project_volumes():
            if vol.name not in external:
                steps.append(Step(Action.REMOVE, Kind.VOLUME, vol.name, "down -v"))
    return Plan(desired.project, tuple(steps), tuple(orphans), (), tuple(warnings))
