"""One service's workload: a Deployment, StatefulSet or DaemonSet."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from composer.errors import Diagnostic
from composer.spec.project import Project
from composer.targets.k8s.container import container, seconds
from composer.targets.k8s.files import mounted
from composer.targets.k8s.meta import (
    Context,
    dns_label,
    labels,
    metadata,
    selector,
    warning,
)
from composer.targets.k8s.ordering import wait_containers
from composer.targets.k8s.volumes import storage

_ANNOTATION_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
_RESTARTS = ("always", "unless-stopped")


def replicas(service: Mapping[str, Any]) -> int:
    """How many pods a service runs: ``deploy.replicas``, else ``scale``, else 1."""
    deploy = service.get("deploy") or {}
    if deploy.get("replicas") is not None:
        return int(deploy["replicas"])
    if service.get("scale") is not None:
        return int(service["scale"])
    return 1


def workload(
    ctx: Context, project: Project, name: str, shared: set[str]
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The controller object that runs a service's pods."""
    service = project.services[name]
    main, diags = container(ctx.project, name, service)
    volumes = storage(ctx, name, service, project.section("volumes"), shared)
    files = mounted(ctx, name, service, project)
    waits, wait_diags = wait_containers(name, service, project.services)
    diags += volumes.diagnostics + files.diagnostics + wait_diags
    mounts = volumes.mounts + files.mounts
    if mounts:
        main["volumeMounts"] = mounts

    pod: dict[str, Any] = {}
    if waits:
        pod["initContainers"] = waits
    pod["containers"] = [main]
    if volumes.volumes or files.volumes:
        pod["volumes"] = volumes.volumes + files.volumes
    grace = seconds(service.get("stop_grace_period"), 0)
    if grace is not None:
        pod["terminationGracePeriodSeconds"] = grace
    diags += _restart(name, service)

    template: dict[str, Any] = {"metadata": {"labels": labels(ctx, name)}}
    annotations = _annotations(name, service.get("labels") or {}, diags)
    if annotations:
        template["metadata"]["annotations"] = annotations
    template["spec"] = pod
    spec: dict[str, Any] = {"selector": {"matchLabels": selector(ctx, name)}}
    kind = _kind(name, service, bool(volumes.claim_templates), diags)
    if kind != "DaemonSet":
        spec["replicas"] = replicas(service)
    if kind == "StatefulSet":
        spec["serviceName"] = dns_label(name)
        spec["volumeClaimTemplates"] = volumes.claim_templates
    spec["template"] = template
    meta = metadata(ctx, dns_label(name, 253), name)
    deploy_labels = (service.get("deploy") or {}).get("labels") or {}
    annotations = _annotations(f"{name}.deploy", deploy_labels, diags)
    if annotations:
        meta["annotations"] = annotations
    obj = {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}
    if service.get("container_name"):
        diags.append(
            warning(
                "K8S008",
                "pods are named by their controller; 'container_name' is not kept",
                f"services.{name}.container_name",
            )
        )
    return obj, diags


def _kind(
    name: str, service: Mapping[str, Any], claims: bool, diags: list[Diagnostic]
) -> str:
    mode = (service.get("deploy") or {}).get("mode") or "replicated"
    if mode not in ("global", "replicated"):
        diags.append(
            warning(
                "K8S001",
                f"deploy mode '{mode}' is rendered as a long-running workload",
                f"services.{name}.deploy.mode",
                hint="write a Kubernetes Job for a task that runs to completion",
            )
        )
    if claims:
        if mode == "global":
            diags.append(
                warning(
                    "K8S014",
                    "a global service with named volumes runs as a StatefulSet, "
                    "not one pod per node",
                    f"services.{name}.deploy.mode",
                )
            )
        return "StatefulSet"
    return "DaemonSet" if mode == "global" else "Deployment"


def _restart(name: str, service: Mapping[str, Any]) -> list[Diagnostic]:
    restart = service.get("restart")
    if restart is None or restart in _RESTARTS:
        return []
    return [
        warning(
            "K8S009",
            f"restart '{restart}' has no equivalent: a Deployment's pods always "
            "restart",
            f"services.{name}.restart",
            hint="run a one-off task as a Kubernetes Job",
        )
    ]


def _annotations(
    where: str, given: Mapping[str, Any], diags: list[Diagnostic]
) -> dict[str, str]:
    """Compose labels as annotations: their values need not be label values."""
    out: dict[str, str] = {}
    for key, value in given.items():
        if _ANNOTATION_KEY.match(str(key)):
            out[str(key)] = str(value)
        else:
            diags.append(
                warning(
                    "K8S010",
                    f"label '{key}' is not a valid Kubernetes annotation key",
                    f"services.{where}.labels.{key}",
                )
            )
    return out
