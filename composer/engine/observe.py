"""Observe stage: one immutable snapshot of a project's live state.

Four list requests whatever the number of services: the project's containers
(filtered by its label on the engine), all networks, all volumes and all
images.  Networks and volumes are listed whole because external ones carry
no project label and must still be found.  The four requests are sent at
once, each from its own thread, so a pass waits for the slowest one only.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from composer.engine.labels import (
    CONTAINER_NUMBER,
    ONEOFF,
    PROJECT,
    SERVICE,
    is_lease,
)

log = logging.getLogger(__name__)

_EXIT = re.compile(r"Exited \((-?\d+)\)")


class Lister(Protocol):
    """The four list calls observe needs; the real Engine or a fake."""

    def list_containers(self, project: str) -> list[dict[str, Any]]:
        """Containers with the project label."""
        ...

    def list_networks(self) -> list[dict[str, Any]]:
        """All networks."""
        ...

    def list_volumes(self) -> list[dict[str, Any]]:
        """All volumes."""
        ...

    def list_images(self) -> list[dict[str, Any]]:
        """All images."""
        ...


@dataclass(frozen=True)
class ObservedContainer:
    """A container of the project as the engine reports it."""

    id: str
    name: str
    service: str
    number: int
    state: str
    image_id: str
    labels: Mapping[str, str] = field(default_factory=dict)
    exit_code: int | None = None
    health: str | None = None
    oneoff: bool = False
    networks: tuple[str, ...] | None = None  # None: not observed (tables)
    command: str | None = None  # the list's one-line command, None: unknown
    created: int | None = None  # epoch seconds, engine's clock

    @property
    def running(self) -> bool:
        """Whether the container's process runs (paused counts)."""
        return self.state in ("running", "paused", "restarting")


@dataclass(frozen=True)
class ObservedNetwork:
    """A network on the engine."""

    name: str
    id: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ObservedVolume:
    """A volume on the engine."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Actual:
    """What runs on the engine for one project, at one moment."""

    project: str
    containers: tuple[ObservedContainer, ...] = ()
    networks: Mapping[str, ObservedNetwork] = field(default_factory=dict)
    volumes: Mapping[str, ObservedVolume] = field(default_factory=dict)
    images: Mapping[str, str] = field(default_factory=dict)
    image_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    image_created: Mapping[str, int] = field(default_factory=dict)

    def of_service(self, service: str) -> tuple[ObservedContainer, ...]:
        """The project's (not one-off) containers of one service."""
        return tuple(
            c for c in self.containers if c.service == service and not c.oneoff
        )

    def project_networks(self) -> tuple[ObservedNetwork, ...]:
        """The networks labelled as this project's."""
        return tuple(
            n for n in self.networks.values() if n.labels.get(PROJECT) == self.project
        )

    def project_volumes(self) -> tuple[ObservedVolume, ...]:
        """The volumes labelled as this project's."""
        return tuple(
            v for v in self.volumes.values() if v.labels.get(PROJECT) == self.project
        )


def observe(engine: Lister, project: str) -> Actual:
    """Read the project's live state with four list requests."""
    listed = _at_once(
        lambda: engine.list_containers(project),
        engine.list_networks,
        engine.list_volumes,
        engine.list_images,
    )
    raw_containers, raw_networks, raw_volumes, raw_images = listed
    containers = tuple(
        _container(raw)
        for raw in raw_containers
        # The engine filter matches the label exactly; check again anyway,
        # another project's objects must never leak in.
        if (raw.get("Labels") or {}).get(PROJECT) == project
        and not is_lease(project, raw.get("Labels") or {}, raw.get("Names") or ())
    )
    networks = {
        str(n["Name"]): ObservedNetwork(
            str(n["Name"]), str(n.get("Id", "")), dict(n.get("Labels") or {})
        )
        for n in raw_networks
    }
    volumes = {
        str(v["Name"]): ObservedVolume(str(v["Name"]), dict(v.get("Labels") or {}))
        for v in raw_volumes
    }
    images: dict[str, str] = {}
    image_labels: dict[str, Mapping[str, str]] = {}
    image_created: dict[str, int] = {}
    for image in raw_images:
        for tag in image.get("RepoTags") or ():
            images[str(tag)] = str(image["Id"])
            image_labels[str(tag)] = dict(image.get("Labels") or {})
            image_created[str(tag)] = int(image.get("Created") or 0)
        for digest in image.get("RepoDigests") or ():
            images[str(digest)] = str(image["Id"])
    log.debug(
        "observed %s: %d containers, %d networks, %d volumes, %d images",
        project,
        len(containers),
        len(networks),
        len(volumes),
        len(images),
    )
    return Actual(
        project, containers, networks, volumes, images, image_labels, image_created
    )


Listing = list[dict[str, Any]]


def _at_once(*calls: Callable[[], Listing]) -> list[Listing]:
    """The results of ``calls``, run concurrently; the first error is raised."""
    results: list[Listing] = [[] for _ in calls]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(1, len(calls))]
    for thread in threads:
        thread.start()
    run(0)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def _container(raw: Mapping[str, Any]) -> ObservedContainer:
    labels: dict[str, str] = dict(raw.get("Labels") or {})
    names = raw.get("Names") or ["/"]
    status = str(raw.get("Status") or "")
    match = _EXIT.search(status)
    health = None
    for word in ("healthy", "unhealthy", "health: starting"):
        if f"({word})" in status:
            health = word.replace("health: ", "")
    try:
        number = int(labels.get(CONTAINER_NUMBER, "0"))
    except ValueError:
        number = 0
    return ObservedContainer(
        id=str(raw["Id"]),
        name=str(names[0]).lstrip("/"),
        service=labels.get(SERVICE, ""),
        number=number,
        state=str(raw.get("State") or ""),
        image_id=str(raw.get("ImageID") or ""),
        labels=labels,
        exit_code=int(match.group(1)) if match else None,
        health=health,
        oneoff=labels.get(ONEOFF, "False") == "True",
        networks=tuple((raw.get("NetworkSettings") or {}).get("Networks") or {}),
        command=raw["Command"] if isinstance(raw.get("Command"), str) else None,
        created=raw["Created"] if isinstance(raw.get("Created"), int) else None,
    )
