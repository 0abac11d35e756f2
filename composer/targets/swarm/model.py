"""Desired and observed Swarm state as frozen data.

A service is compared through its *view*: a nested mapping of plain JSON
values in Compose's words (``deploy.update_config.order``), built from the
Compose file on one side and read back from the live service spec on the
other (``composer.targets.swarm.spec``). Equal views mean nothing to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The label ``docker stack`` puts on every object of a stack.
NAMESPACE_LABEL = "com.docker.stack.namespace"
#: The label ``docker stack`` puts on services: the image as written.
IMAGE_LABEL = "com.docker.stack.image"
#: composer's own labels on secrets and configs: the Compose name and content hash.
SOURCE_LABEL = "composer.swarm.source"
HASH_LABEL = "composer.swarm.hash"


@dataclass(frozen=True)
class NetworkDef:
    """An overlay network the project declares."""

    key: str
    name: str
    external: bool = False
    driver: str = "overlay"
    attachable: bool = False
    internal: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, str] = field(default_factory=dict)
    subnets: tuple[str, ...] = ()


@dataclass(frozen=True)
class BlobDef:
    """One version of a secret or config: its name carries its content's hash."""

    key: str
    name: str
    external: bool = False
    data: bytes = b""
    digest: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceDef:
    """One Compose service as a Swarm service."""

    key: str
    name: str
    view: Mapping[str, Any]


@dataclass(frozen=True)
class SwarmDesired:
    """What the Compose file asks the swarm to run."""

    project: str
    services: Mapping[str, ServiceDef]
    networks: Mapping[str, NetworkDef]
    secrets: Mapping[str, BlobDef]
    configs: Mapping[str, BlobDef]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObservedService:
    """A live Swarm service of the project."""

    id: str
    name: str
    version: int
    view: Mapping[str, Any]
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class ObservedObject:
    """A live network, secret or config (of the project or an external one)."""

    id: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    owned: bool = False


@dataclass(frozen=True)
class SwarmActual:
    """The swarm's state for one project, read right before planning."""

    project: str
    services: Mapping[str, ObservedService]
    networks: Mapping[str, ObservedObject]
    secrets: Mapping[str, ObservedObject]
    configs: Mapping[str, ObservedObject]

    def owned(self, kind: str) -> list[ObservedObject]:
        """The project's own networks, secrets or configs, by name."""
        objects: Mapping[str, ObservedObject] = getattr(self, kind)
        return [o for _, o in sorted(objects.items()) if o.owned]
