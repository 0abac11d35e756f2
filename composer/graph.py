"""Graph stage: turn a loaded Project into the desired state.

One node per network, volume and container replica; edges from ``depends_on``
(with condition, ``required`` and ``restart``), network and volume use,
``network_mode: service:x``, ``volumes_from`` and ``links``.  Cycles and
references to missing services are ``ConfigError``s raised before any engine
call.  Reading secret, config and env files and build contexts to digest their
content is the only I/O here.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from composer.engine import context
from composer.errors import ConfigError
from composer.spec.profiles import unknown_service
from composer.spec.project import Project

log = logging.getLogger(__name__)

FileDigest = Callable[[str], str]


class Condition(StrEnum):
    """A ``depends_on`` condition."""

    STARTED = "service_started"
    HEALTHY = "service_healthy"
    COMPLETED = "service_completed_successfully"


@dataclass(frozen=True)
class Dependency:
    """An edge from a service to one it needs."""

    service: str
    condition: Condition = Condition.STARTED
    required: bool = True
    restart: bool = False
    kind: str = "depends_on"


@dataclass(frozen=True)
class NetworkNode:
    """A network the project declares, by its key in the file."""

    key: str
    name: str
    external: bool
    definition: Mapping[str, Any]


@dataclass(frozen=True)
class VolumeNode:
    """A named volume the project declares, by its key in the file."""

    key: str
    name: str
    external: bool
    definition: Mapping[str, Any]


@dataclass(frozen=True)
class ServiceNode:
    """A service: its normalised definition, replica count and edges."""

    name: str
    definition: Mapping[str, Any]
    replicas: int
    dependencies: tuple[Dependency, ...]
    networks: tuple[str, ...]
    volumes: tuple[str, ...]
    file_digests: Mapping[str, str] = field(default_factory=dict)
    #: Digest of the build inputs, for services with ``build:``.
    build_digest: str | None = None
    #: The image name of a service that has ``build:`` but no ``image:``.
    default_image: str = ""

    @property
    def image(self) -> str:
        """The image reference, tag included (``:latest`` when none)."""
        image = str(self.definition.get("image") or self.default_image)
        return normalise_image(image)

    @property
    def container_name(self) -> str | None:
        """The fixed ``container_name``, if any."""
        name = self.definition.get("container_name")
        return str(name) if name else None


@dataclass(frozen=True)
class ContainerNode:
    """One replica of a service."""

    service: str
    number: int
    name: str


@dataclass(frozen=True)
class Desired:
    """The whole desired state of a project, in dependency order."""

    project: str
    working_dir: str
    config_files: tuple[str, ...]
    networks: Mapping[str, NetworkNode]
    volumes: Mapping[str, VolumeNode]
    services: Mapping[str, ServiceNode]
    order: tuple[str, ...]
    selected: tuple[str, ...]
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def containers(self, service: str) -> tuple[ContainerNode, ...]:
        """The replicas a service should have, numbered from 1."""
        node = self.services[service]
        return tuple(
            ContainerNode(service, n, container_name(self.project, node, n))
            for n in range(1, node.replicas + 1)
        )


@dataclass(frozen=True)
class GraphOptions:
    """What the command line changes in the desired state."""

    services: tuple[str, ...] = ()
    scale: Mapping[str, int] = field(default_factory=dict)
    no_deps: bool = False


def normalise_image(image: str) -> str:
    """Add ``:latest`` to an image reference without a tag or digest."""
    if not image or "@" in image:
        return image
    last = image.rsplit("/", 1)[-1]
    return image if ":" in last else f"{image}:latest"


def container_name(project: str, node: ServiceNode, number: int) -> str:
    """The Compose name of replica ``number`` of a service."""
    return node.container_name or f"{project}-{node.name}-{number}"


def sha256_file(path: str) -> str:
    """The SHA-256 of a file's content, or of a directory's files."""
    p = Path(path)
    digest = hashlib.sha256()
    try:
        if p.is_dir():
            for child in sorted(c for c in p.rglob("*") if c.is_file()):
                digest.update(str(child.relative_to(p)).encode())
                digest.update(child.read_bytes())
        else:
            digest.update(p.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    return digest.hexdigest()


def build_desired(
    project: Project,
    options: GraphOptions | None = None,
    digest: FileDigest = sha256_file,
) -> Desired:
    """Build the desired state of ``project``; raise ConfigError on bad edges."""
    opts = options or GraphOptions()
    all_services = project.services
    edges = {name: _dependencies(name, svc) for name, svc in all_services.items()}
    _check_references(edges, all_services)
    order = _topological(edges)
    selected = _selection(opts, edges, all_services)

    sections = inline_sections(project)
    services: dict[str, ServiceNode] = {}
    for name in order:
        svc = all_services[name]
        replicas = _replicas(name, svc, opts.scale, project)
        services[name] = ServiceNode(
            name=name,
            definition=svc,
            replicas=replicas,
            dependencies=edges[name],
            networks=tuple((svc.get("networks") or {}).keys()),
            volumes=_named_volumes(svc),
            file_digests=_file_digests(svc, sections, digest),
            build_digest=_build_digest(svc, name, selected),
            default_image=f"{project.name}-{name}" if "build" in svc else "",
        )
    return Desired(
        project=project.name,
        working_dir=project.working_dir,
        config_files=project.config_files,
        networks=_networks(project),
        volumes=_volumes(project),
        services=services,
        order=order,
        selected=selected,
        sections=sections,
    )


def _dependencies(name: str, svc: Mapping[str, Any]) -> tuple[Dependency, ...]:
    deps: dict[str, Dependency] = {}
    for dep, spec in (svc.get("depends_on") or {}).items():
        spec = spec or {}
        deps[dep] = Dependency(
            dep,
            Condition(spec.get("condition", Condition.STARTED.value)),
            bool(spec.get("required", True)),
            bool(spec.get("restart", False)),
        )
    mode = str(svc.get("network_mode") or "")
    if mode.startswith("service:"):
        target = mode.split(":", 1)[1]
        deps.setdefault(target, Dependency(target, kind="network_mode"))
    for ref in svc.get("volumes_from") or ():
        ref = str(ref).split(":", 1)[0]
        if not ref.startswith("container"):
            deps.setdefault(ref, Dependency(ref, kind="volumes_from"))
    for link in svc.get("links") or ():
        target = str(link).split(":", 1)[0]
        deps.setdefault(target, Dependency(target, kind="links"))
    return tuple(deps.values())


def _check_references(
    edges: Mapping[str, tuple[Dependency, ...]],
    services: Mapping[str, Mapping[str, Any]],
) -> None:
    for name, deps in edges.items():
        for dep in deps:
            if dep.service not in services and dep.required:
                raise ConfigError.at(
                    "G001",
                    f"service {name!r} depends on undefined or disabled service "
                    f"{dep.service!r} (through {dep.kind})",
                    key=f"services.{name}.{dep.kind}",
                )


def _topological(edges: Mapping[str, tuple[Dependency, ...]]) -> tuple[str, ...]:
    """Order services so that each comes after what it depends on."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*path[path.index(name) :], name]
            raise ConfigError.at(
                "G002",
                "dependency cycle: " + " -> ".join(cycle),
                key=f"services.{name}.depends_on",
            )
        state[name] = 1
        for dep in edges.get(name, ()):
            if dep.service in edges:
                visit(dep.service, [*path, name])
        state[name] = 2
        order.append(name)

    for name in sorted(edges):
        visit(name, [])
    return tuple(order)


def _selection(
    opts: GraphOptions,
    edges: Mapping[str, tuple[Dependency, ...]],
    services: Mapping[str, Mapping[str, Any]],
) -> tuple[str, ...]:
    if not opts.services:
        return tuple(sorted(services))
    for name in opts.services:
        if name not in services:
            raise unknown_service(name, services)
    chosen: set[str] = set()
    pending = list(opts.services)
    while pending:
        name = pending.pop()
        if name in chosen:
            continue
        chosen.add(name)
        if not opts.no_deps:
            pending.extend(d.service for d in edges[name] if d.service in services)
    return tuple(sorted(chosen))


def _replicas(
    name: str, svc: Mapping[str, Any], scale: Mapping[str, int], project: Project
) -> int:
    if name in scale:
        replicas = scale[name]
    elif svc.get("scale") is not None:
        replicas = int(svc["scale"])
    else:
        deploy = svc.get("deploy") or {}
        replicas = int(
            deploy.get("replicas", 1) if deploy.get("replicas") is not None else 1
        )
    if replicas > 1 and svc.get("container_name"):
        raise ConfigError.at(
            "G004",
            f'service "{name}" has container_name "{svc["container_name"]}" and '
            f"{replicas} replicas: container_name must be unique, so it cannot scale",
            project.locate(("services", name, "container_name")),
            key=f"services.{name}.container_name",
            hint="remove container_name or keep one replica",
        )
    return max(replicas, 0)


def _named_volumes(svc: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        str(v["source"])
        for v in svc.get("volumes") or ()
        if isinstance(v, Mapping) and v.get("type") == "volume" and v.get("source")
    )


def _file_digests(
    svc: Mapping[str, Any], sections: Mapping[str, Any], digest: FileDigest
) -> dict[str, str]:
    out: dict[str, str] = {}
    for section in ("secrets", "configs"):
        top = sections[section]
        for ref in svc.get(section) or ():
            source = ref.get("source") if isinstance(ref, Mapping) else str(ref)
            spec = top.get(str(source)) or {}
            if spec.get("file"):
                out[f"{section}.{source}"] = digest(str(spec["file"]))
            elif "content" in spec:
                content = str(spec["content"]).encode()
                out[f"{section}.{source}"] = hashlib.sha256(content).hexdigest()
    for entry in svc.get("env_file") or ():
        path = entry.get("path") if isinstance(entry, Mapping) else str(entry)
        if path and Path(str(path)).exists():
            out[f"env_file.{path}"] = digest(str(path))
    return out


def inline_sections(project: Project) -> dict[str, dict[str, Any]]:
    """Secrets and configs, ``environment`` sources resolved to ``content``."""
    out: dict[str, dict[str, Any]] = {}
    for name in ("secrets", "configs"):
        out[name] = {}
        for key, spec in project.section(name).items():
            spec = dict(spec or {})
            if spec.get("environment") and "content" not in spec:
                spec["content"] = project.environment.get(str(spec["environment"]), "")
            out[name][key] = spec
    return out


def _build_digest(
    svc: Mapping[str, Any], name: str, selected: tuple[str, ...]
) -> str | None:
    """The build-input digest (read from disk) of a selected service."""
    build = svc.get("build")
    if not isinstance(build, Mapping) or name not in selected:
        return None
    return context.build_digest(build)


def _networks(project: Project) -> dict[str, NetworkNode]:
    used: set[str] = set()
    for svc in project.services.values():
        used.update((svc.get("networks") or {}).keys())
    out: dict[str, NetworkNode] = {}
    for key, spec in project.section("networks").items():
        spec = spec or {}
        if key == "default" and key not in used:
            continue
        name = str(spec.get("name") or f"{project.name}_{key}")
        out[key] = NetworkNode(key, name, bool(spec.get("external")), spec)
    return out


def _volumes(project: Project) -> dict[str, VolumeNode]:
    out: dict[str, VolumeNode] = {}
    for key, spec in project.section("volumes").items():
        spec = spec or {}
        name = str(spec.get("name") or f"{project.name}_{key}")
        out[key] = VolumeNode(key, name, bool(spec.get("external")), spec)
    return out
