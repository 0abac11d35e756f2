"""One service's main container: image, command, environment, probe, resources."""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping
from typing import Any

from composer.errors import Diagnostic
from composer.spec.units import parse_bytes, parse_duration
from composer.targets.k8s.meta import dns_label, warning

_PULL = {
    "always": "Always",
    "never": "Never",
    "missing": "IfNotPresent",
    "if_not_present": "IfNotPresent",
    "build": "IfNotPresent",
}


def k8s_literal(text: str) -> str:
    """``text`` escaped so the kubelet's ``$(VAR)`` expansion leaves it as is."""
    if "$(" in text or "$$" in text:
        return text.replace("$", "$$")
    return text


def _words(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return shlex.split(value)
    return [str(v) for v in value]


def seconds(value: Any, minimum: int) -> int | None:
    """A Compose duration as whole seconds, rounded up, at least ``minimum``."""
    ns = parse_duration(value) if value is not None else None
    if ns is None:
        return None
    return max(minimum, math.ceil(ns / 1_000_000_000))


def image_of(project: str, name: str, service: Mapping[str, Any]) -> str:
    """The image a service runs; Compose's default name when only built."""
    return str(service.get("image") or f"{project}-{name}")


def container(
    project: str, name: str, service: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The main container of a service's pod and what could not be expressed."""
    diags: list[Diagnostic] = []
    out: dict[str, Any] = {
        "name": dns_label(name),
        "image": image_of(project, name, service),
    }
    if service.get("build"):
        diags.append(
            warning(
                "K8S002",
                "the image is not built by the cluster",
                f"services.{name}.build",
                hint=f"build and push '{out['image']}' to a registry the "
                "cluster pulls from",
            )
        )
    policy = service.get("pull_policy")
    if policy in _PULL:
        out["imagePullPolicy"] = _PULL[str(policy)]
    elif policy:
        diags.append(
            warning(
                "K8S001",
                f"pull policy '{policy}' has no Kubernetes equivalent",
                f"services.{name}.pull_policy",
                hint="the cluster's default (IfNotPresent for tagged images) applies",
            )
        )
    entrypoint = _words(service.get("entrypoint"))
    if entrypoint is not None:
        out["command"] = [k8s_literal(w) for w in entrypoint]
    command = _words(service.get("command"))
    if command is not None:
        out["args"] = [k8s_literal(w) for w in command]
    if service.get("working_dir"):
        out["workingDir"] = str(service["working_dir"])
    env = _environment(name, service.get("environment") or {}, diags)
    if env:
        out["env"] = env
    ports = container_ports(service)
    if ports:
        out["ports"] = ports
    probe = readiness_probe(service.get("healthcheck"), name, diags)
    if probe:
        out["readinessProbe"] = probe
    resources = _resources(name, service.get("deploy") or {}, diags)
    if resources:
        out["resources"] = resources
    security = _security(name, service, diags)
    if security:
        out["securityContext"] = security
    if service.get("stdin_open"):
        out["stdin"] = True
    if service.get("tty"):
        out["tty"] = True
    return out, diags


def _environment(
    name: str, env: Mapping[str, Any], diags: list[Diagnostic]
) -> list[dict[str, str]]:
    out = []
    for key, value in env.items():
        if value is None:
            diags.append(
                warning(
                    "K8S003",
                    f"'{key}' has no value here and is taken from no environment "
                    "in the cluster; it was left out",
                    f"services.{name}.environment.{key}",
                    hint="set it in the shell or .env before rendering",
                )
            )
            continue
        out.append({"name": str(key), "value": k8s_literal(str(value))})
    return out


def container_ports(service: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The container ports: every published target, ``hostPort`` in host mode."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    for port in service.get("ports") or []:
        target = int(port["target"])
        proto = str(port.get("protocol") or "tcp").upper()
        if (target, proto) in seen:
            continue
        seen.add((target, proto))
        entry: dict[str, Any] = {"containerPort": target, "protocol": proto}
        published = str(port.get("published") or "")
        if port.get("mode") == "host" and published.isdigit():
            entry["hostPort"] = int(published)
        out.append(entry)
    return out


def readiness_probe(
    check: Mapping[str, Any] | None, name: str, diags: list[Diagnostic]
) -> dict[str, Any] | None:
    """A readiness probe equal to a Compose healthcheck, or None if it has none."""
    if not check or check.get("disable"):
        return None
    test = check.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if not test:
        # Compose would keep the image's own HEALTHCHECK with these timings.
        diags.append(
            warning(
                "K8S001",
                "a healthcheck with no test uses the image's check, which "
                "Kubernetes does not run; no probe was rendered",
                f"services.{name}.healthcheck",
                hint="write the test in the Compose file",
            )
        )
        return None
    if test[0] == "NONE":
        return None
    if test[0] == "CMD":
        command = [str(w) for w in test[1:]]
    else:
        command = ["/bin/sh", "-c", " ".join(str(w) for w in test[1:])]
    probe: dict[str, Any] = {"exec": {"command": command}}
    fields = (
        ("interval", "periodSeconds", 1),
        ("timeout", "timeoutSeconds", 1),
        ("start_period", "initialDelaySeconds", 0),
    )
    for key, field, minimum in fields:
        value = seconds(check.get(key), minimum)
        if value is not None:
            probe[field] = value
    if check.get("retries") is not None:
        probe["failureThreshold"] = max(1, int(check["retries"]))
    if check.get("start_interval") is not None:
        diags.append(
            warning(
                "K8S001",
                "'healthcheck.start_interval' has no Kubernetes equivalent",
                f"services.{name}.healthcheck.start_interval",
            )
        )
    return probe


def _quantities(values: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    if values.get("cpus") not in (None, "", 0, "0"):
        millis = round(float(values["cpus"]) * 1000)
        out["cpu"] = f"{millis}m"
    memory = parse_bytes(values.get("memory")) if values.get("memory") else None
    if memory:
        out["memory"] = memory_quantity(memory)
    return out


def memory_quantity(size: int) -> str:
    """A byte count as a Kubernetes quantity, in the largest exact binary unit."""
    for suffix, unit in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


def _resources(
    name: str, deploy: Mapping[str, Any], diags: list[Diagnostic]
) -> dict[str, Any]:
    resources = deploy.get("resources") or {}
    out: dict[str, Any] = {}
    limits = _quantities(resources.get("limits") or {})
    if limits:
        out["limits"] = limits
    requests = _quantities(resources.get("reservations") or {})
    if requests:
        out["requests"] = requests
    for part in ("limits", "reservations"):
        for key in sorted(resources.get(part) or {}):
            if key not in ("cpus", "memory") and resources[part][key]:
                diags.append(
                    warning(
                        "K8S001",
                        f"'deploy.resources.{part}.{key}' has no Kubernetes equivalent",
                        f"services.{name}.deploy.resources.{part}.{key}",
                    )
                )
    return out


def _security(
    name: str, service: Mapping[str, Any], diags: list[Diagnostic]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if service.get("privileged"):
        out["privileged"] = True
    if service.get("read_only"):
        out["readOnlyRootFilesystem"] = True
    caps: dict[str, list[str]] = {}
    for key, field in (("cap_add", "add"), ("cap_drop", "drop")):
        if service.get(key):
            caps[field] = [str(c).removeprefix("CAP_") for c in service[key]]
    if caps:
        out["capabilities"] = caps
    user = str(service.get("user") or "")
    if user:
        uid, _, gid = user.partition(":")
        if uid.isdigit() and (not gid or gid.isdigit()):
            out["runAsUser"] = int(uid)
            if gid:
                out["runAsGroup"] = int(gid)
        else:
            diags.append(
                warning(
                    "K8S004",
                    f"user '{user}' is not numeric; Kubernetes only takes ids",
                    f"services.{name}.user",
                    hint="write the user as uid[:gid]",
                )
            )
    return out
