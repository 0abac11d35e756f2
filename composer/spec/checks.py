"""Consistency checks on the merged model: references, cycles, unique names.

Errors and warnings are collected as diagnostics so that every problem of a
project is reported at once, each with the file and line it comes from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from composer.errors import Diagnostic, Location
from composer.spec.source import KeyPath, format_key

Locator = Callable[[KeyPath], Location]


@dataclass
class Findings:
    """Errors and warnings found by the checks."""

    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class CheckInput:
    """The model to check and what is known about services left out of it."""

    model: Mapping[str, Any]
    disabled: Mapping[str, tuple[str, ...]]
    locate: Locator


def run_checks(data: CheckInput) -> Findings:
    """Run every consistency check and return what they found."""
    found = Findings()
    services: Mapping[str, Mapping[str, Any]] = data.model.get("services") or {}
    for name, svc in services.items():
        _dependencies(name, svc, data, found)
        _service_refs(name, svc, data, found)
        _resources(name, svc, data, found)
        _container_name(name, svc, data, found)
        if not svc.get("image") and not svc.get("build"):
            found.errors.append(
                _diag(
                    data,
                    "C169",
                    f'service "{name}" has neither an image nor a build context '
                    "specified",
                    ("services", name),
                    hint="add image: or build:",
                )
            )
    _cycles(services, data, found)
    return found


def _diag(
    data: CheckInput,
    code: str,
    message: str,
    path: KeyPath,
    hint: str | None = None,
    severity: str = "error",
) -> Diagnostic:
    return Diagnostic(
        code, message, data.locate(path), format_key(path), hint, severity
    )


def _dependencies(
    name: str, svc: Mapping[str, Any], data: CheckInput, found: Findings
) -> None:
    services = data.model.get("services") or {}
    for dep, spec in (svc.get("depends_on") or {}).items():
        if dep in services:
            continue
        required = not isinstance(spec, dict) or spec.get("required", True) is not False
        path: KeyPath = ("services", name, "depends_on", dep)
        if dep in data.disabled:
            profiles = " ".join(data.disabled[dep])
            message = (
                f'service "{dep}" is required by "{name}" but is disabled. '
                f"Can be enabled by profiles [{profiles}]"
            )
            hint = (
                f"add --profile {data.disabled[dep][0]}" if data.disabled[dep] else None
            )
        else:
            message = f'service "{name}" depends on undefined service "{dep}"'
            hint = None
            if "=" in dep:
                hint = (
                    f'"{dep.split("=", 1)[0]}=..." looks like an environment '
                    "variable: is `environment:` missing?"
                )
        # An optional dependency may be disabled by a profile, but it must exist.
        if required or dep not in data.disabled:
            found.errors.append(_diag(data, "C160", message, path, hint))
        else:
            found.warnings.append(
                _diag(
                    data,
                    "C161",
                    message + " (optional, ignored)",
                    path,
                    None,
                    "warning",
                )
            )


def _service_refs(
    name: str, svc: Mapping[str, Any], data: CheckInput, found: Findings
) -> None:
    services = data.model.get("services") or {}
    refs: list[tuple[KeyPath, str, str]] = []
    for i, link in enumerate(svc.get("links") or []):
        refs.append(
            (("services", name, "links", i), str(link).split(":", 1)[0], "links")
        )
    for i, source in enumerate(svc.get("volumes_from") or []):
        text = str(source)
        if not text.startswith("container:"):
            refs.append(
                (
                    ("services", name, "volumes_from", i),
                    text.split(":", 1)[0],
                    "volumes_from",
                )
            )
    for key in ("network_mode", "ipc", "pid"):
        mode = svc.get(key)
        if isinstance(mode, str) and mode.startswith("service:"):
            refs.append((("services", name, key), mode.split(":", 1)[1], key))
    for path, target, what in refs:
        if target in services:
            continue
        if target in data.disabled:
            profiles = " ".join(data.disabled[target])
            message = (
                f'service "{target}" is required by "{name}" ({what}) but is '
                f"disabled. Can be enabled by profiles [{profiles}]"
            )
        else:
            message = (
                f'service "{name}" refers to undefined service "{target}" in {what}'
            )
        found.errors.append(_diag(data, "C162", message, path))


def _resources(
    name: str, svc: Mapping[str, Any], data: CheckInput, found: Findings
) -> None:
    model = data.model
    networks = model.get("networks") or {}
    for net in svc.get("networks") or {}:
        if net != "default" and net not in networks:
            found.errors.append(
                _diag(
                    data,
                    "C163",
                    f'service "{name}" refers to undefined network {net}',
                    ("services", name, "networks", net),
                )
            )
    volumes = model.get("volumes") or {}
    for i, vol in enumerate(svc.get("volumes") or []):
        if not isinstance(vol, dict) or vol.get("type") != "volume":
            continue
        source = vol.get("source")
        if source and source not in volumes:
            found.errors.append(
                _diag(
                    data,
                    "C164",
                    f'service "{name}" refers to undefined volume {source}',
                    ("services", name, "volumes", i),
                    hint=f"declare it under the top-level volumes: {source}:",
                )
            )
    for kind in ("secrets", "configs"):
        declared = model.get(kind) or {}
        for i, ref in enumerate(svc.get(kind) or []):
            source = ref.get("source") if isinstance(ref, dict) else ref
            if source and source not in declared:
                found.errors.append(
                    _diag(
                        data,
                        "C165",
                        f'service "{name}" refers to undefined {kind[:-1]} {source}',
                        ("services", name, kind, i),
                    )
                )


def _container_name(
    name: str, svc: Mapping[str, Any], data: CheckInput, found: Findings
) -> None:
    if not svc.get("container_name"):
        return
    deploy = svc.get("deploy") or {}
    for key, value in (
        ("deploy.replicas", deploy.get("replicas")),
        ("scale", svc.get("scale")),
    ):
        if isinstance(value, int) and value > 1:
            found.errors.append(
                _diag(
                    data,
                    "C166",
                    f'service "{name}": can\'t set container_name and {key} > 1 as '
                    "container name must be unique",
                    ("services", name, "container_name"),
                    hint="remove container_name or run a single replica",
                )
            )
            return


def _cycles(
    services: Mapping[str, Mapping[str, Any]], data: CheckInput, found: Findings
) -> None:
    """Report the first depends_on cycle, as ``a -> b -> a`` (iterative DFS)."""
    done: set[str] = set()
    for root in services:
        if root in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, list[str]]] = [(root, _deps(services, root))]
        path.append(root)
        on_path.add(root)
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            dep = pending.pop()
            if dep in on_path:
                cycle = [*path[path.index(dep) :], dep]
                found.errors.append(
                    _diag(
                        data,
                        "C168",
                        "dependency cycle detected: " + " -> ".join(cycle),
                        ("services", cycle[0], "depends_on"),
                    )
                )
                return
            if dep not in done:
                stack.append((dep, _deps(services, dep)))
                path.append(dep)
                on_path.add(dep)


def _deps(services: Mapping[str, Mapping[str, Any]], name: str) -> list[str]:
    """The dependencies of ``name`` that are in the model, in reverse order."""
    deps = services[name].get("depends_on") or {}
    return [d for d in reversed(list(deps)) if d in services]
