"""Volumes of one service: claims for named volumes, emptyDir for the rest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from composer.errors import Diagnostic
from composer.targets.k8s.meta import Context, dns_label, metadata, warning

# A claim must ask for a size and Compose has none to give; documented.
DEFAULT_SIZE = "1Gi"


@dataclass
class Storage:
    """What a service's pod needs for its volumes."""

    mounts: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    claim_templates: list[dict[str, Any]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def claim_name(ctx: Context, key: str, volume: Mapping[str, Any]) -> str:
    """The PersistentVolumeClaim name of a top-level volume."""
    return dns_label(str(volume.get("name") or f"{ctx.project}_{key}"), 253)


def volume_users(services: Mapping[str, Mapping[str, Any]]) -> dict[str, set[str]]:
    """For each named volume, the services that mount it."""
    users: dict[str, set[str]] = {}
    for name, service in services.items():
        for mount in service.get("volumes") or []:
            if mount.get("type") == "volume" and mount.get("source"):
                users.setdefault(str(mount["source"]), set()).add(name)
    return users


def claim_spec() -> dict[str, Any]:
    """The spec of a claim for one named volume."""
    return {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": DEFAULT_SIZE}},
    }


def shared_claim(ctx: Context, key: str, volume: Mapping[str, Any]) -> dict[str, Any]:
    """A standalone PersistentVolumeClaim for a volume several services mount."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": metadata(ctx, claim_name(ctx, key, volume)),
        "spec": claim_spec(),
    }


def storage(
    ctx: Context,
    name: str,
    service: Mapping[str, Any],
    top: Mapping[str, Mapping[str, Any]],
    shared: set[str],
) -> Storage:
    """Mounts, pod volumes and claim templates of one service."""
    out = Storage()
    for index, mount in enumerate(service.get("volumes") or []):
        key = f"services.{name}.volumes[{index}]"
        kind = mount.get("type")
        target = str(mount["target"])
        entry: dict[str, Any] = {"mountPath": target}
        if mount.get("read_only"):
            entry["readOnly"] = True
        subpath = (mount.get("volume") or {}).get("subpath")
        if subpath:
            entry["subPath"] = str(subpath)
        if kind == "volume" and mount.get("source"):
            _named(ctx, str(mount["source"]), top, shared, entry, out)
        elif kind == "volume":
            entry["name"] = f"anonymous-{index}"
            out.volumes.append({"name": entry["name"], "emptyDir": {}})
        elif kind == "tmpfs":
            entry["name"] = f"tmpfs-{index}"
            out.volumes.append(_memory(entry["name"]))
        else:
            out.diagnostics.append(
                warning(
                    "K8S005",
                    f"{kind} mount '{mount.get('source')}' -> '{target}' has no "
                    "portable Kubernetes equivalent and was not rendered",
                    key,
                    hint="use a named volume, a config or a secret instead",
                )
            )
            continue
        out.mounts.append(entry)
    for index, path in enumerate(service.get("tmpfs") or []):
        volume = f"tmpfs-list-{index}"
        out.volumes.append(_memory(volume))
        out.mounts.append({"name": volume, "mountPath": str(path).split(":")[0]})
    return out


def _memory(name: str) -> dict[str, Any]:
    return {"name": name, "emptyDir": {"medium": "Memory"}}


def _named(
    ctx: Context,
    source: str,
    top: Mapping[str, Mapping[str, Any]],
    shared: set[str],
    entry: dict[str, Any],
    out: Storage,
) -> None:
    volume = top.get(source) or {}
    for key in ("driver", "driver_opts"):
        if volume.get(key):
            out.diagnostics.append(
                warning(
                    "K8S001",
                    f"'{key}' of a volume has no Kubernetes equivalent; the "
                    "claim uses the cluster's default storage class",
                    f"volumes.{source}.{key}",
                )
            )
    name = dns_label(source)
    entry["name"] = name
    if any(v["name"] == name for v in out.volumes) or any(
        t["metadata"]["name"] == name for t in out.claim_templates
    ):
        return
    if volume.get("external") or source in shared:
        claim = claim_name(ctx, source, volume)
        out.volumes.append(
            {"name": name, "persistentVolumeClaim": {"claimName": claim}}
        )
        return
    out.claim_templates.append({"metadata": {"name": name}, "spec": claim_spec()})
