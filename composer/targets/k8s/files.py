"""ConfigMaps and Secrets from ``configs`` and ``secrets``, and their mounts."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from composer.errors import Diagnostic
from composer.spec.project import Project
from composer.targets.k8s.meta import Context, dns_label, metadata, warning

Reader = Callable[[str], bytes]
KEY = "content"


@dataclass
class Mounted:
    """Pod volumes and container mounts for one service's configs and secrets."""

    mounts: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def object_name(ctx: Context, key: str, definition: Mapping[str, Any]) -> str:
    """The ConfigMap or Secret name of a top-level config or secret."""
    return dns_label(str(definition.get("name") or f"{ctx.project}_{key}"), 253)


def content(
    section: str,
    key: str,
    definition: Mapping[str, Any],
    environment: Mapping[str, str],
    reader: Reader,
) -> bytes | None:
    """The bytes of a config or secret, or None when it is external."""
    if definition.get("external"):
        return None
    if definition.get("content") is not None:
        return str(definition["content"]).encode()
    if definition.get("environment"):
        return environment.get(str(definition["environment"]), "").encode()
    return reader(str(definition["file"]))


def file_objects(
    ctx: Context,
    project: Project,
    reader: Reader,
) -> list[dict[str, Any]]:
    """A ConfigMap per config and a Secret per secret the project defines."""
    out: list[dict[str, Any]] = []
    environment: Mapping[str, str] = project.environment
    for key, definition in project.section("configs").items():
        data = content("configs", key, definition, environment, reader)
        if data is None:
            continue
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": metadata(ctx, object_name(ctx, key, definition)),
        }
        try:
            obj["data"] = {KEY: data.decode()}
        except UnicodeDecodeError:
            obj["binaryData"] = {KEY: base64.b64encode(data).decode()}
        out.append(obj)
    for key, definition in project.section("secrets").items():
        data = content("secrets", key, definition, environment, reader)
        if data is None:
            continue
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": metadata(ctx, object_name(ctx, key, definition)),
                "type": "Opaque",
                "data": {KEY: base64.b64encode(data).decode()},
            }
        )
    return out


def _mode(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        return int(value, 8)
    return int(value)


def mounted(
    ctx: Context, name: str, service: Mapping[str, Any], project: Project
) -> Mounted:
    """The volumes and mounts that put a service's configs and secrets in place."""
    out = Mounted()
    for section, kind, ref in (
        ("configs", "configMap", "name"),
        ("secrets", "secret", "secretName"),
    ):
        top = project.section(section)
        for index, use in enumerate(service.get(section) or []):
            source = str(use["source"])
            target = str(use.get("target") or "")
            if section == "secrets" and not target.startswith("/"):
                target = f"/run/secrets/{target or source}"
            elif not target:
                target = f"/{source}"
            volume = f"{section[:-1]}-{index}"
            item: dict[str, Any] = {"key": KEY, "path": KEY}
            mode = _mode(use.get("mode"))
            if mode is not None:
                item["mode"] = mode
            source_ref = {ref: object_name(ctx, source, top.get(source) or {})}
            out.volumes.append({"name": volume, kind: {**source_ref, "items": [item]}})
            out.mounts.append(
                {"name": volume, "mountPath": target, "subPath": KEY, "readOnly": True}
            )
            for owner in ("uid", "gid"):
                if use.get(owner) is not None:
                    out.diagnostics.append(
                        warning(
                            "K8S001",
                            f"'{owner}' of a mounted {section[:-1]} has no "
                            "per-file Kubernetes equivalent",
                            f"services.{name}.{section}[{index}].{owner}",
                            hint="set securityContext.fsGroup by hand if needed",
                        )
                    )
    return out
