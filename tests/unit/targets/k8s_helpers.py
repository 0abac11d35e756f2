"""Shared helpers of the Kubernetes render tests: load, render, validate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate

from composer.spec import LoadOptions, Project, load_project
from composer.targets.k8s import Rendering, render

# The newest Kubernetes whose schemas kubernetes-validate carries (it ships
# them, so validation needs no network).
K8S_VERSION = kubernetes_validate.latest_version()


def load(
    directory: Path,
    compose: str,
    files: dict[str, str] | None = None,
    environ: dict[str, str] | None = None,
) -> Project:
    """Write ``compose`` (and ``files``) into ``directory`` and load it."""
    (directory / "compose.yaml").write_text(compose, encoding="utf-8")
    for name, text in (files or {}).items():
        (directory / name).write_text(text, encoding="utf-8")
    options = LoadOptions(
        project_name="demo",
        environ=environ or {},
        cwd=str(directory),
    )
    return load_project(options)


DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$")


def validate_all(rendering: Rendering) -> None:
    """Fail unless every manifest validates strictly against the API schemas,
    and the names the schemas do not check are ones the API server accepts."""
    assert rendering.manifests
    seen = set()
    for manifest in rendering.manifests:
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
        name = manifest["metadata"]["name"]
        assert (manifest["kind"], name) not in seen
        seen.add((manifest["kind"], name))
        assert DNS_LABEL.match(name) or manifest["kind"] != "Service", name
        for port in manifest.get("spec", {}).get("ports") or []:
            assert PORT_NAME.match(port["name"]), port
        if "template" in manifest.get("spec", {}):
            _check_pod(manifest["spec"]["template"]["spec"])


def _check_pod(pod: dict[str, Any]) -> None:
    volumes = [v["name"] for v in pod.get("volumes") or []]
    assert len(volumes) == len(set(volumes))
    containers = pod["containers"] + (pod.get("initContainers") or [])
    assert len({c["name"] for c in containers}) == len(containers)
    for container in containers:
        assert DNS_LABEL.match(container["name"]), container["name"]


def by_kind(rendering: Rendering, kind: str) -> dict[str, dict[str, Any]]:
    """The rendered objects of one kind, by name."""
    return {m["metadata"]["name"]: m for m in rendering.manifests if m["kind"] == kind}


def render_text(directory: Path, compose: str, **kwargs: Any) -> Rendering:
    """Load ``compose`` from ``directory`` and render it."""
    return render(load(directory, compose, **kwargs))


def keys(rendering: Rendering) -> set[str]:
    """The key paths that warnings point at."""
    return {d.key or "" for d in rendering.warnings}
