"""The swarm manager's API: typed calls, errors turned into EngineError.

It is an :class:`~composer.engine.client.Engine` (the same connection, error
boundary and request log) with the calls Swarm needs on top.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from composer.engine.client import Engine
from composer.errors import EngineError
from composer.targets.swarm.model import NAMESPACE_LABEL, NetworkDef

log = logging.getLogger(__name__)


class SwarmEngine(Engine):
    """A connection to a swarm manager."""

    def require_manager(self) -> None:
        """EngineError unless the engine is an active swarm manager."""
        with self._guard("read engine info"):
            info: Mapping[str, Any] = self.api.info()
        swarm: Mapping[str, Any] = info.get("Swarm") or {}
        state = swarm.get("LocalNodeState") or "inactive"
        if state != "active":
            raise EngineError(
                f"the engine at {self.host} is not in swarm mode ({state}); "
                "run `docker swarm init` there or point DOCKER_HOST at a manager"
            )
        if not swarm.get("ControlAvailable"):
            raise EngineError(
                f"the engine at {self.host} is a swarm worker; "
                "point DOCKER_HOST at a manager"
            )

    # -- observe ---------------------------------------------------------

    def services(self, project: str) -> list[dict[str, Any]]:
        """The project's services, from one request."""
        with self._guard("list services"):
            found: list[dict[str, Any]] = self.api.services(
                filters={"label": f"{NAMESPACE_LABEL}={project}"}
            )
        return found

    def swarm_networks(self) -> list[dict[str, Any]]:
        """Every network the manager knows, from one request."""
        with self._guard("list networks"):
            found: list[dict[str, Any]] = self.api.networks()
        return found

    def secrets(self) -> list[dict[str, Any]]:
        """Every secret (metadata only), from one request."""
        with self._guard("list secrets"):
            found: list[dict[str, Any]] = self.api.secrets()
        return found

    def configs(self) -> list[dict[str, Any]]:
        """Every config, from one request."""
        with self._guard("list configs"):
            found: list[dict[str, Any]] = self.api.configs()
        return found

    def tasks(self, service_id: str) -> list[dict[str, Any]]:
        """The tasks of one service, from one request."""
        with self._guard(f"list tasks of {service_id}"):
            found: list[dict[str, Any]] = self.api.tasks(
                filters={"service": service_id}
            )
        return found

    def inspect_service(self, ident: str) -> dict[str, Any]:
        """One service with its spec, version and update status."""
        with self._guard(f"inspect service {ident}"):
            found: dict[str, Any] = self.api.inspect_service(ident)
        return found

    def project_volumes(self, project: str) -> list[str]:
        """Names of the volumes the project's tasks made on this node."""
        with self._guard("list volumes"):
            found = self.api.volumes(filters={"label": f"{NAMESPACE_LABEL}={project}"})
        return sorted(v["Name"] for v in (found or {}).get("Volumes") or [])

    def project_containers(self, project: str) -> list[str]:
        """IDs of the project's task containers on this node."""
        with self._guard("list containers"):
            found = self.api.containers(
                all=True, filters={"label": f"{NAMESPACE_LABEL}={project}"}
            )
        return [c["Id"] for c in found]

    def finished_task_containers(self, project: str) -> list[str]:
        """IDs of the project's task containers here that have exited."""
        with self._guard("list containers"):
            found = self.api.containers(
                all=True,
                filters={
                    "label": f"{NAMESPACE_LABEL}={project}",
                    "status": ["exited", "created", "dead"],
                },
            )
        return [c["Id"] for c in found]

    def remove_task_container(self, ident: str) -> None:
        """Remove an exited task container the swarm left behind."""
        with self._guard(f"remove container {ident}"):
            self.api.remove_container(ident)

    # -- change -----------------------------------------------------------

    def create_overlay(self, net: NetworkDef) -> str:
        """Create a swarm-scoped network; returns its ID."""
        ipam = None
        if net.subnets:
            pools = [self._pool(s) for s in net.subnets]
            ipam = {"Driver": "default", "Config": pools}
        with self._guard(f"create network {net.name}"):
            made = self.api.create_network(
                net.name,
                driver=net.driver,
                options=dict(net.options) or None,
                ipam=ipam,
                internal=net.internal,
                labels=dict(net.labels),
                attachable=net.attachable,
                scope="swarm",
            )
        return str(made["Id"])

    @staticmethod
    def _pool(subnet: str) -> dict[str, str]:
        return {"Subnet": subnet}

    def create_secret(self, name: str, data: bytes, labels: Mapping[str, str]) -> str:
        """Create a secret; returns its ID."""
        with self._guard(f"create secret {name}"):
            made = self.api.create_secret(name, data, labels=dict(labels))
        return str(made["ID"])

    def create_config(self, name: str, data: bytes, labels: Mapping[str, str]) -> str:
        """Create a config; returns its ID."""
        with self._guard(f"create config {name}"):
            made = self.api.create_config(name, data, labels=dict(labels))
        return str(made["ID"])

    def create_service(self, spec: Mapping[str, Any]) -> str:
        """Create a service from a full ServiceSpec; returns its ID."""
        with self._guard(f"create service {spec['Name']}"):
            made = self.api.create_service(**_service_args(spec))
        return str(made["ID"])

    def update_service(self, ident: str, version: int, spec: Mapping[str, Any]) -> None:
        """Replace a service's spec (a rolling update)."""
        with self._guard(f"update service {spec['Name']}"):
            self.api.update_service(ident, version, **_service_args(spec))

    def remove_service(self, ident: str) -> None:
        """Remove a service; its tasks stop in the background."""
        with self._guard(f"remove service {ident}"):
            self.api.remove_service(ident)

    def remove_secret(self, ident: str) -> None:
        """Remove a secret."""
        with self._guard(f"remove secret {ident}"):
            self.api.remove_secret(ident)

    def remove_config(self, ident: str) -> None:
        """Remove a config."""
        with self._guard(f"remove config {ident}"):
            self.api.remove_config(ident)

    def remove_swarm_network(self, ident: str) -> None:
        """Remove a network."""
        with self._guard(f"remove network {ident}"):
            self.api.remove_network(ident)

    def remove_named_volume(self, name: str) -> None:
        """Remove a volume on this node."""
        with self._guard(f"remove volume {name}"):
            self.api.remove_volume(name)


def _service_args(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The SDK's keyword arguments for a ServiceSpec (every field explicit)."""
    args: dict[str, Any] = {
        "task_template": dict(spec["TaskTemplate"]),
        "name": spec["Name"],
        "labels": dict(spec["Labels"]),
        "mode": dict(spec["Mode"]),
        "endpoint_spec": dict(spec["EndpointSpec"]),
    }
    # A job's spec has no update settings (None: the SDK sends none).
    args["update_config"] = spec.get("UpdateConfig")
    args["rollback_config"] = spec.get("RollbackConfig")
    return args
