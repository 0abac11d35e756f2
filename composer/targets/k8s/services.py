"""Kubernetes Services for a service's published and exposed ports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composer.errors import Diagnostic
from composer.targets.k8s.meta import Context, dns_label, metadata, selector, warning

PUBLISHED_SUFFIX = "-published"


def _port(port: int, protocol: str, target: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": f"{protocol.lower()}-{port}",
        "port": port,
        "protocol": protocol.upper(),
    }
    entry["targetPort"] = target if target is not None else port
    return entry


def _range(text: str) -> list[int]:
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def internal_ports(service: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every container port other services reach: targets and ``expose``."""
    seen: dict[tuple[int, str], dict[str, Any]] = {}
    for port in service.get("ports") or []:
        proto = str(port.get("protocol") or "tcp")
        seen.setdefault((int(port["target"]), proto), _port(int(port["target"]), proto))
    for item in service.get("expose") or []:
        text, _, proto = str(item).partition("/")
        for number in _range(text):
            seen.setdefault((number, proto or "tcp"), _port(number, proto or "tcp"))
    return list(seen.values())


def published_ports(
    name: str, service: Mapping[str, Any], diags: list[Diagnostic]
) -> list[dict[str, Any]]:
    """Ports published in ingress mode, as a load balancer's ports."""
    out: dict[tuple[int, str], dict[str, Any]] = {}
    for index, port in enumerate(service.get("ports") or []):
        published = str(port.get("published") or "")
        key = f"services.{name}.ports[{index}]"
        if port.get("host_ip"):
            diags.append(
                warning(
                    "K8S001",
                    "'host_ip' has no Kubernetes equivalent; the load balancer "
                    "listens on its own addresses",
                    f"{key}.host_ip",
                )
            )
        if not published or port.get("mode") == "host":
            continue
        numbers = _range(published)
        if len(numbers) > 1:
            diags.append(
                warning(
                    "K8S006",
                    f"published range {published} becomes its first port {numbers[0]}",
                    f"{key}.published",
                )
            )
        proto = str(port.get("protocol") or "tcp")
        out.setdefault(
            (numbers[0], proto), _port(numbers[0], proto, int(port["target"]))
        )
    return list(out.values())


def service_objects(
    ctx: Context, name: str, service: Mapping[str, Any], headless: bool
) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    """The ClusterIP Service (headless when a StatefulSet needs one with no
    ports) and the LoadBalancer Service for published ports."""
    diags: list[Diagnostic] = []
    out: list[dict[str, Any]] = []
    base = dns_label(name)
    ports = internal_ports(service)
    if ports or headless:
        spec: dict[str, Any] = {"selector": selector(ctx, name)}
        if ports:
            spec["ports"] = ports
        else:
            spec["clusterIP"] = "None"
        out.append(_object(ctx, base, name, spec))
    published = published_ports(name, service, diags)
    if published:
        lb_name = dns_label(base[: 63 - len(PUBLISHED_SUFFIX)] + PUBLISHED_SUFFIX)
        spec = {
            "type": "LoadBalancer",
            "selector": selector(ctx, name),
            "ports": published,
        }
        out.append(_object(ctx, lb_name, name, spec))
    return out, diags


def _object(
    ctx: Context, object_name: str, service: str, spec: dict[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(ctx, object_name, service),
        "spec": spec,
    }
