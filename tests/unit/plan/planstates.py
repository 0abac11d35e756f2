"""Helpers that build desired and observed states as plain data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composer.engine.build import container_labels
from composer.engine.observe import (
    Actual,
    ObservedContainer,
    ObservedNetwork,
    ObservedVolume,
)
from composer.graph import Desired, GraphOptions, build_desired
from composer.spec.project import Project

IMAGE_ID = "sha256:aaa"
IMAGES = {"busybox:local": IMAGE_ID}


def project(services: Mapping[str, Any], name: str = "app", **top: Any) -> Project:
    """A loaded-looking project with a default network."""
    model: dict[str, Any] = {"name": name, "services": dict(services)}
    model["networks"] = {
        "default": {"name": f"{name}_default"},
        **top.get("networks", {}),
    }
    model["volumes"] = top.get("volumes", {})
    model["secrets"] = top.get("secrets", {})
    for svc in model["services"].values():
        svc.setdefault("image", "busybox:local")
        svc.setdefault("networks", {"default": None})
    return Project(name, "/srv", ("/srv/compose.yaml",), model)


def desired(services: Mapping[str, Any], **kw: Any) -> Desired:
    """Desired state of a project built from service definitions."""
    opts = kw.pop("options", GraphOptions())
    return build_desired(project(services, **kw), opts, digest=lambda p: f"d:{p}")


def container(
    state: Desired,
    service: str,
    number: int = 1,
    status: str = "running",
    image_id: str = IMAGE_ID,
    ident: str | None = None,
    name: str | None = None,
    exit_code: int | None = None,
) -> ObservedContainer:
    """A container as composer would have created it for ``state``."""
    node = state.services[service]
    labels = container_labels(state, node, number, image_id, None)
    return ObservedContainer(
        id=ident or f"{service}{number}" + "0" * 12,
        name=name or f"{state.project}-{service}-{number}",
        service=service,
        number=number,
        state=status,
        image_id=image_id,
        labels=labels,
        exit_code=exit_code,
    )


def actual(
    state: Desired,
    containers: tuple[ObservedContainer, ...] = (),
    networks: tuple[str, ...] = ("default",),
    volumes: tuple[str, ...] = (),
    foreign_networks: tuple[str, ...] = (),
    images: Mapping[str, str] | None = None,
) -> Actual:
    """An observed state holding the given objects of ``state``'s project."""
    label = {"com.docker.compose.project": state.project}
    nets = {
        f"{state.project}_{n}": ObservedNetwork(f"{state.project}_{n}", n, label)
        for n in networks
    }
    nets |= {n: ObservedNetwork(n, n, {}) for n in foreign_networks}
    vols = {
        f"{state.project}_{v}": ObservedVolume(f"{state.project}_{v}", label)
        for v in volumes
    }
    return Actual(state.project, containers, nets, vols, dict(images or IMAGES))
