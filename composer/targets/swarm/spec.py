"""A service's view to the Swarm API's ServiceSpec and back.

``to_api`` writes every field composer manages, defaults included, so the
engine stores exactly what was sent; ``from_api`` reads the same fields back
into a view. ``from_api(to_api(view)) == view`` is what makes an applied
project plan empty, and the unit tests hold it to that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from composer.spec.units import format_duration, parse_duration
from composer.targets.swarm.model import NAMESPACE_LABEL

#: Swarm's own defaults, written out so that the stored spec is complete.
UPDATE_DEFAULTS: Mapping[str, Any] = {
    "parallelism": 1,
    "delay": "0s",
    "failure_action": "pause",
    "monitor": "5s",
    "max_failure_ratio": 0.0,
    "order": "stop-first",
}
RESTART_DEFAULTS: Mapping[str, Any] = {
    "condition": "any",
    "delay": "5s",
    "max_attempts": 0,
    "window": "0s",
}
#: A job's task is retried only when it fails (it must not run again once done).
JOB_RESTART_DEFAULTS: Mapping[str, Any] = {
    **RESTART_DEFAULTS,
    "condition": "on-failure",
}
#: Compose's ``deploy.mode`` values and the Swarm API's ``Mode`` keys.
MODES: Mapping[str, str] = {
    "replicated": "Replicated",
    "global": "Global",
    "replicated-job": "ReplicatedJob",
    "global-job": "GlobalJob",
}
#: Modes whose tasks run to completion instead of running on.
JOB_MODES = frozenset({"replicated-job", "global-job"})
_UPDATE_KEYS = {
    "parallelism": "Parallelism",
    "delay": "Delay",
    "failure_action": "FailureAction",
    "monitor": "Monitor",
    "max_failure_ratio": "MaxFailureRatio",
    "order": "Order",
}
_RESTART_KEYS = {
    "condition": "Condition",
    "delay": "Delay",
    "max_attempts": "MaxAttempts",
    "window": "Window",
}
_DURATIONS = {"delay", "monitor", "window"}
_HEALTH_KEYS = {
    "test": "Test",
    "interval": "Interval",
    "timeout": "Timeout",
    "retries": "Retries",
    "start_period": "StartPeriod",
}


@dataclass(frozen=True)
class Directory:
    """Names and IDs of the networks, secrets and configs services refer to."""

    networks: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    configs: Mapping[str, str] = field(default_factory=dict)

    def name_of(self, kind: str, ident: str) -> str:
        """The name of an object from its ID (the ID itself when unknown)."""
        table: Mapping[str, str] = getattr(self, kind)
        for name, known in table.items():
            if known == ident:
                return name
        return ident

    def id_of(self, kind: str, name: str) -> str:
        """The ID of an object from its name (the name itself when unknown)."""
        table: Mapping[str, str] = getattr(self, kind)
        return table.get(name, name)


def duration(value: Any) -> str | None:
    """A Compose duration in its canonical text (``1m30s``), or None."""
    if value is None:
        return None
    ns = parse_duration(value)
    return None if ns is None else format_duration(ns)


def _ns(value: Any) -> int:
    return parse_duration(value) or 0 if value is not None else 0


def _text_ns(value: Any) -> str:
    return format_duration(int(value or 0))


# -- view to API ------------------------------------------------------------


def to_api(view: Mapping[str, Any], project: str, names: Directory) -> dict[str, Any]:
    """The full ServiceSpec for a view (IDs looked up in ``names``)."""
    deploy: Mapping[str, Any] = view["deploy"]
    spec: dict[str, Any] = {
        "Name": view["name"],
        "Labels": {**deploy["labels"], NAMESPACE_LABEL: project},
        "TaskTemplate": {
            "ContainerSpec": _container_to_api(view, project, names),
            "Resources": _resources_to_api(deploy["resources"]),
            "RestartPolicy": _keyed_to_api(deploy["restart_policy"], _RESTART_KEYS),
            "Placement": _placement_to_api(deploy["placement"]),
            "Networks": [
                {"Target": names.id_of("networks", n["name"]), "Aliases": n["aliases"]}
                for n in view["networks"]
            ],
            "ForceUpdate": 0,
        },
        "Mode": _mode_to_api(deploy),
        "EndpointSpec": {
            "Mode": deploy["endpoint_mode"],
            "Ports": [
                {
                    "Protocol": p["protocol"],
                    "TargetPort": p["target"],
                    "PublishedPort": p["published"],
                    "PublishMode": p["mode"],
                }
                for p in view["ports"]
            ],
        },
    }
    # Jobs have no rolling update: the engine is sent no update settings.
    for key, api in (
        ("update_config", "UpdateConfig"),
        ("rollback_config", "RollbackConfig"),
    ):
        if deploy[key] is not None:
            spec[api] = _keyed_to_api(deploy[key], _UPDATE_KEYS)
    return spec


def _mode_to_api(deploy: Mapping[str, Any]) -> dict[str, Any]:
    mode = deploy["mode"]
    if mode == "replicated":
        return {"Replicated": {"Replicas": deploy["replicas"]}}
    if mode == "replicated-job":
        # All completions may run at once; Compose has no key to limit that.
        count = deploy["replicas"]
        return {"ReplicatedJob": {"MaxConcurrent": count, "TotalCompletions": count}}
    return {MODES[mode]: {}}


def _container_to_api(
    view: Mapping[str, Any], project: str, names: Directory
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "Image": view["image"],
        "Labels": {**view["labels"], NAMESPACE_LABEL: project},
        "Env": [f"{k}={v}" for k, v in sorted(view["environment"].items())],
        "TTY": view["tty"],
        "OpenStdin": view["stdin_open"],
        "ReadOnly": view["read_only"],
        "Mounts": [_mount_to_api(m, project) for m in view["volumes"]],
        "Secrets": [_file_to_api(s, "Secret", names.secrets) for s in view["secrets"]],
        "Configs": [_file_to_api(c, "Config", names.configs) for c in view["configs"]],
    }
    optional = {
        "Command": view["entrypoint"],
        "Args": view["command"],
        "Dir": view["working_dir"],
        "User": view["user"],
        "Hostname": view["hostname"],
        "StopSignal": view["stop_signal"],
        "Init": view["init"],
    }
    spec.update({k: v for k, v in optional.items() if v is not None})
    if view["stop_grace_period"] is not None:
        spec["StopGracePeriod"] = _ns(view["stop_grace_period"])
    if view["healthcheck"] is not None:
        spec["Healthcheck"] = {
            api: (_ns(view["healthcheck"][key]) if key in _HEALTH_DURATIONS else value)
            for key, api in _HEALTH_KEYS.items()
            if (value := view["healthcheck"].get(key)) is not None
        }
    return spec


_HEALTH_DURATIONS = {"interval", "timeout", "start_period"}


def _mount_to_api(mount: Mapping[str, Any], project: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Type": mount["type"],
        "Target": mount["target"],
        "ReadOnly": mount["read_only"],
    }
    if mount["source"] is not None:
        out["Source"] = mount["source"]
    if mount["type"] == "volume":
        out["VolumeOptions"] = {"Labels": {NAMESPACE_LABEL: project}}
    return out


def _file_to_api(
    ref: Mapping[str, Any], kind: str, ids: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "File": {
            "Name": ref["target"],
            "UID": ref["uid"],
            "GID": ref["gid"],
            "Mode": ref["mode"],
        },
        f"{kind}ID": ids.get(ref["name"], ref["name"]),
        f"{kind}Name": ref["name"],
    }


def _resources_to_api(resources: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, api in (("limits", "Limits"), ("reservations", "Reservations")):
        part: Mapping[str, Any] = resources.get(key) or {}
        values: dict[str, Any] = {}
        if part.get("cpus") is not None:
            values["NanoCPUs"] = round(float(part["cpus"]) * 1e9)
        if part.get("memory") is not None:
            values["MemoryBytes"] = int(part["memory"])
        if part.get("pids") is not None and key == "limits":
            values["Pids"] = int(part["pids"])
        if values:
            out[api] = values
    return out


def _placement_to_api(placement: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if placement["constraints"]:
        out["Constraints"] = list(placement["constraints"])
    if placement["preferences"]:
        out["Preferences"] = [
            {"Spread": {"SpreadDescriptor": p}} for p in placement["preferences"]
        ]
    if placement["max_replicas_per_node"]:
        out["MaxReplicas"] = placement["max_replicas_per_node"]
    return out


def _keyed_to_api(values: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, Any]:
    return {
        api: (_ns(values[key]) if key in _DURATIONS else values[key])
        for key, api in keys.items()
    }


# -- API to view ------------------------------------------------------------


def from_api(spec: Mapping[str, Any], names: Directory) -> dict[str, Any]:
    """The view of a live ServiceSpec (IDs turned back into names)."""
    task: Mapping[str, Any] = spec.get("TaskTemplate") or {}
    container: Mapping[str, Any] = task.get("ContainerSpec") or {}
    mode: Mapping[str, Any] = spec.get("Mode") or {}
    endpoint: Mapping[str, Any] = spec.get("EndpointSpec") or {}
    labels = dict(spec.get("Labels") or {})
    labels.pop(NAMESPACE_LABEL, None)
    kind = next((m for m, api in MODES.items() if api in mode), "replicated")
    job = kind in JOB_MODES
    deploy = {
        "mode": kind,
        "replicas": _replicas_from_api(kind, mode),
        "endpoint_mode": endpoint.get("Mode") or "vip",
        "labels": labels,
        "update_config": None
        if job
        else _keyed_from_api(spec.get("UpdateConfig"), UPDATE_DEFAULTS),
        "rollback_config": None
        if job
        else _keyed_from_api(spec.get("RollbackConfig"), UPDATE_DEFAULTS),
        "restart_policy": _keyed_from_api(task.get("RestartPolicy"), RESTART_DEFAULTS),
        "resources": _resources_from_api(task.get("Resources") or {}),
        "placement": _placement_from_api(task.get("Placement") or {}),
    }
    view = _container_from_api(container, names)
    view["name"] = spec.get("Name", "")
    view["networks"] = sorted(
        (
            {
                "name": names.name_of("networks", n.get("Target", "")),
                "aliases": list(n.get("Aliases") or []),
            }
            for n in task.get("Networks") or []
        ),
        key=lambda n: str(n["name"]),
    )
    view["ports"] = [
        {
            "target": p.get("TargetPort"),
            "published": p.get("PublishedPort"),
            "protocol": p.get("Protocol", "tcp"),
            "mode": p.get("PublishMode", "ingress"),
        }
        for p in endpoint.get("Ports") or []
    ]
    view["deploy"] = deploy
    return view


def _replicas_from_api(kind: str, mode: Mapping[str, Any]) -> int | None:
    if kind == "replicated":
        return int((mode.get("Replicated") or {}).get("Replicas", 1))
    if kind == "replicated-job":
        job: Mapping[str, Any] = mode.get("ReplicatedJob") or {}
        # The engine's default: as many completions as may run at once.
        return int(job.get("TotalCompletions") or job.get("MaxConcurrent") or 1)
    return None


def _container_from_api(
    container: Mapping[str, Any], names: Directory
) -> dict[str, Any]:
    labels = dict(container.get("Labels") or {})
    labels.pop(NAMESPACE_LABEL, None)
    env: dict[str, str] = {}
    for item in container.get("Env") or []:
        key, _, value = str(item).partition("=")
        env[key] = value
    grace = container.get("StopGracePeriod")
    health = container.get("Healthcheck")
    return {
        "image": container.get("Image", ""),
        "command": container.get("Args"),
        "entrypoint": container.get("Command"),
        "environment": env,
        "labels": labels,
        "working_dir": container.get("Dir"),
        "user": container.get("User"),
        "hostname": container.get("Hostname"),
        "tty": bool(container.get("TTY")),
        "stdin_open": bool(container.get("OpenStdin")),
        "read_only": bool(container.get("ReadOnly")),
        "init": container.get("Init"),
        "stop_signal": container.get("StopSignal"),
        "stop_grace_period": None if grace is None else _text_ns(grace),
        "healthcheck": None if health is None else _health_from_api(health),
        "volumes": [_mount_from_api(m) for m in container.get("Mounts") or []],
        "secrets": [
            _file_from_api(s, "Secret", names.secrets, names)
            for s in container.get("Secrets") or []
        ],
        "configs": [
            _file_from_api(c, "Config", names.configs, names)
            for c in container.get("Configs") or []
        ],
    }


def _health_from_api(health: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, api in _HEALTH_KEYS.items():
        value = health.get(api)
        if value is None:
            continue
        out[key] = _text_ns(value) if key in _HEALTH_DURATIONS else value
    return out


def _mount_from_api(mount: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": mount.get("Type", "volume"),
        "source": mount.get("Source"),
        "target": mount.get("Target", ""),
        "read_only": bool(mount.get("ReadOnly")),
    }


def _file_from_api(
    ref: Mapping[str, Any], kind: str, ids: Mapping[str, str], names: Directory
) -> dict[str, Any]:
    file: Mapping[str, Any] = ref.get("File") or {}
    name = ref.get(f"{kind}Name") or names.name_of(
        kind.lower() + "s", ref.get(f"{kind}ID", "")
    )
    return {
        "name": name,
        "target": file.get("Name", ""),
        "uid": file.get("UID", "0"),
        "gid": file.get("GID", "0"),
        "mode": file.get("Mode", 0o444),
    }


def _resources_from_api(resources: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, api in (("limits", "Limits"), ("reservations", "Reservations")):
        part: Mapping[str, Any] = resources.get(api) or {}
        values: dict[str, Any] = {}
        if part.get("NanoCPUs"):
            values["cpus"] = part["NanoCPUs"] / 1e9
        if part.get("MemoryBytes"):
            values["memory"] = part["MemoryBytes"]
        if part.get("Pids"):
            values["pids"] = part["Pids"]
        if values:
            out[key] = values
    return out


def _placement_from_api(placement: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "constraints": list(placement.get("Constraints") or []),
        "preferences": [
            (p.get("Spread") or {}).get("SpreadDescriptor", "")
            for p in placement.get("Preferences") or []
        ],
        "max_replicas_per_node": placement.get("MaxReplicas") or None,
    }


def _keyed_from_api(
    values: Mapping[str, Any] | None, defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """Swarm's defaults when the block is absent; zero values when omitted.

    The engine leaves zero values out of a stored spec (``Parallelism: 0``),
    so a missing key in a present block reads as zero, not as the default.
    """
    keys = _UPDATE_KEYS if "order" in defaults else _RESTART_KEYS
    if values is None:
        return dict(defaults)
    out: dict[str, Any] = {}
    for key, api in keys.items():
        raw = values.get(api)
        if key in _DURATIONS:
            out[key] = _text_ns(raw)
        elif key == "max_failure_ratio":
            out[key] = float(raw or 0)
        elif isinstance(defaults[key], str):
            out[key] = raw or ""
        else:
            out[key] = raw or 0
    return out
