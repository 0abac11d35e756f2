"""Read one project's Swarm state with a fixed number of list calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from composer.targets.swarm.model import (
    NAMESPACE_LABEL,
    ObservedObject,
    ObservedService,
    SwarmActual,
)
from composer.targets.swarm.spec import Directory, from_api


class SwarmLister(Protocol):
    """The read calls observe makes (the real client or a fake)."""

    def services(self, project: str) -> list[dict[str, Any]]:
        """The project's services."""
        ...

    def swarm_networks(self) -> list[dict[str, Any]]:
        """Every network."""
        ...

    def secrets(self) -> list[dict[str, Any]]:
        """Every secret."""
        ...

    def configs(self) -> list[dict[str, Any]]:
        """Every config."""
        ...


def observe_swarm(engine: SwarmLister, project: str) -> SwarmActual:
    """The swarm's state for ``project``: four list requests."""
    networks = _objects(engine.swarm_networks(), project, "Id", "Name")
    secrets = _objects(engine.secrets(), project, "ID", "Spec.Name")
    configs = _objects(engine.configs(), project, "ID", "Spec.Name")
    names = Directory(
        networks={n.name: n.id for n in networks.values()},
        secrets={s.name: s.id for s in secrets.values()},
        configs={c.name: c.id for c in configs.values()},
    )
    services = {}
    for raw in engine.services(project):
        spec: Mapping[str, Any] = raw.get("Spec") or {}
        name = str(spec.get("Name", ""))
        services[name] = ObservedService(
            id=str(raw["ID"]),
            name=name,
            version=int((raw.get("Version") or {}).get("Index", 0)),
            view=from_api(spec, names),
            spec=spec,
        )
    return SwarmActual(project, services, networks, secrets, configs)


def _objects(
    raws: list[dict[str, Any]], project: str, id_key: str, name_key: str
) -> dict[str, ObservedObject]:
    out: dict[str, ObservedObject] = {}
    for raw in raws:
        spec: Mapping[str, Any] = raw.get("Spec") or raw
        name = str(spec.get("Name", "")) if name_key == "Spec.Name" else raw["Name"]
        labels = dict(spec.get("Labels") or raw.get("Labels") or {})
        owned = labels.get(NAMESPACE_LABEL) == project
        out[name] = ObservedObject(str(raw[id_key]), name, labels, owned)
    return out
