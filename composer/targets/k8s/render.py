"""The whole project as Kubernetes manifests: a pure function of the Project."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from composer.errors import ConfigError, Diagnostic, Location
from composer.spec.project import Project
from composer.spec.source import key_path
from composer.targets.k8s.files import Reader, file_objects
from composer.targets.k8s.keys import untranslated
from composer.targets.k8s.meta import Context, dns_label, warning
from composer.targets.k8s.services import service_objects
from composer.targets.k8s.volumes import shared_claim, volume_users
from composer.targets.k8s.workload import workload

logger = logging.getLogger(__name__)

# The order kubectl needs when the stream is applied in one go.
KIND_ORDER = (
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
    "Service",
    "StatefulSet",
    "Deployment",
    "DaemonSet",
)


@dataclass(frozen=True)
class Rendering:
    """Manifests ready for ``kubectl apply`` and what could not be translated."""

    manifests: tuple[dict[str, Any], ...]
    warnings: tuple[Diagnostic, ...]


def read_bytes(path: str) -> bytes:
    """Read a config or secret file; the default reader."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError.at(
            "K8S100",
            f"cannot read '{path}': {exc.strerror}",
            Location(path),
            hint="configs and secrets are rendered with their file content",
        ) from exc


def render(
    project: Project, namespace: str | None = None, reader: Reader = read_bytes
) -> Rendering:
    """Render ``project`` as Kubernetes objects, with a warning per lost feature."""
    ctx = Context(project.name, namespace)
    _check_names(project)
    manifests: list[dict[str, Any]] = file_objects(ctx, project, reader)
    diags: list[Diagnostic] = []

    users = volume_users(project.services)
    shared = {v for v, names in users.items() if len(names) > 1}
    for key in sorted(shared):
        volume = project.section("volumes").get(key) or {}
        if not volume.get("external"):
            manifests.append(shared_claim(ctx, key, volume))
            diags.append(_shared_warning(key, users[key]))

    for name in project.services:
        diags += untranslated(name, project.services[name])
        obj, more = workload(ctx, project, name, shared)
        diags += more
        services, more = service_objects(
            ctx, name, project.services[name], obj["kind"] == "StatefulSet"
        )
        diags += more + _renamed(name)
        manifests += services
        manifests.append(obj)
    diags += _network_warnings(project)
    manifests.sort(key=lambda m: (KIND_ORDER.index(m["kind"]), m["metadata"]["name"]))
    for manifest in manifests:
        logger.debug("rendered %s %s", manifest["kind"], manifest["metadata"]["name"])
    where = Location(project.config_files[0] if project.config_files else None)
    # A volume's settings are met once per service that mounts it; say it once.
    unique = dict.fromkeys(
        dataclasses.replace(d, location=_located(project, d.key, where)) for d in diags
    )
    return Rendering(tuple(manifests), tuple(unique))


def _located(project: Project, key: str | None, where: Location) -> Location:
    """The file, line and column of the Compose entry a warning is about."""
    if key is None:
        return where
    found = project.locate(key_path(key))
    return found if found.file is not None else where


def _check_names(project: Project) -> None:
    """Refuse two services whose Kubernetes names would be the same."""
    seen: dict[str, str] = {}
    for name in project.services:
        label = dns_label(name)
        if label in seen:
            raise ConfigError.at(
                "K8S101",
                f"services '{seen[label]}' and '{name}' would both be named "
                f"'{label}' in Kubernetes",
                Location(project.config_files[0] if project.config_files else None),
                key=f"services.{name}",
                hint="rename one of them",
            )
        seen[label] = name


def _shared_warning(key: str, names: set[str]) -> Diagnostic:
    return warning(
        "K8S011",
        f"volume '{key}' is mounted by {', '.join(sorted(names))}; its claim asks "
        "for ReadWriteOnce, so those pods must share a node",
        f"volumes.{key}",
        hint="use a storage class with ReadWriteMany to spread them",
    )


def _renamed(name: str) -> list[Diagnostic]:
    if dns_label(name) == name:
        return []
    return [
        warning(
            "K8S012",
            f"'{name}' is not a DNS label; its Service is '{dns_label(name)}', "
            "so other services must use that name",
            f"services.{name}",
        )
    ]


def _network_warnings(project: Project) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    networks = project.section("networks")
    if len([n for n in networks if n != "default"]) > 1:
        out.append(
            warning(
                "K8S013",
                "the cluster network is flat: every pod reaches every Service, "
                f"so the isolation of {len(networks)} networks is lost",
                "networks",
                hint="write NetworkPolicies to restrict traffic",
            )
        )
    for name, service in project.services.items():
        attached: Mapping[str, Any] = service.get("networks") or {}
        for net, spec in attached.items():
            for key in sorted(spec or {}):
                if (spec or {}).get(key):
                    out.append(
                        warning(
                            "K8S001",
                            f"network setting '{key}' has no Kubernetes equivalent",
                            f"services.{name}.networks.{net}.{key}",
                        )
                    )
    return out
