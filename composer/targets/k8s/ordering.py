"""``depends_on`` as init containers that wait for a dependency's Service.

A Service only routes to pods whose readiness probe passes, and the probe comes
from the dependency's healthcheck, so waiting until ``nc -z`` connects to the
Service waits for ``service_healthy`` too where the dependency has a check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composer.errors import Diagnostic
from composer.targets.k8s.meta import dns_label, warning
from composer.targets.k8s.services import internal_ports

# busybox's nc has -z; pinned so the rendered manifests do not drift.
WAIT_IMAGE = "busybox:1.36"
WAIT_PERIOD = 2


def wait_containers(
    name: str,
    service: Mapping[str, Any],
    services: Mapping[str, Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    """One init container per dependency that can be waited for."""
    out: list[dict[str, Any]] = []
    diags: list[Diagnostic] = []
    for dep, spec in (service.get("depends_on") or {}).items():
        key = f"services.{name}.depends_on.{dep}"
        condition = (spec or {}).get("condition", "service_started")
        if condition == "service_completed_successfully":
            diags.append(
                warning(
                    "K8S007",
                    "waiting for a dependency to complete has no Kubernetes "
                    "equivalent between workloads; the order is not kept",
                    key,
                    hint="run the dependency as a Job before applying",
                )
            )
            continue
        target = services.get(dep) or {}
        ports = [p for p in internal_ports(target) if p["protocol"] == "TCP"]
        if not ports:
            diags.append(
                warning(
                    "K8S007",
                    f"'{dep}' has no TCP port to wait for; the start order is not kept",
                    key,
                    hint=f"give '{dep}' an 'expose' entry",
                )
            )
            continue
        host = dns_label(dep)
        port = ports[0]["port"]
        script = (
            f"until nc -z {host} {port}; do echo waiting for {host}:{port}; "
            f"sleep {WAIT_PERIOD}; done"
        )
        out.append(
            {
                "name": dns_label(f"wait-for-{dep}"),
                "image": WAIT_IMAGE,
                "command": ["sh", "-c", script],
            }
        )
    return out, diags
