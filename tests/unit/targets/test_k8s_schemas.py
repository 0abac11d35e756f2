"""Every rendered manifest validates against the Kubernetes API schemas.

Runs over the example projects and every valid ``kind: config`` case of
../shared/cases, loaded in-process with the case's arguments and environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from k8s_helpers import K8S_VERSION, validate_all

from composer.spec import LoadOptions, load_project
from composer.targets.k8s import render

REPO = Path(__file__).resolve().parents[3]
CASES = REPO.parent / "shared" / "cases"
EXAMPLES = REPO / "examples"
_OPTION = {
    "-f": "files",
    "--file": "files",
    "-p": "project",
    "--project-name": "project",
    "--profile": "profiles",
    "--env-file": "env_files",
    "--project-directory": "directory",
}


def _valid_cases() -> list[Path]:
    found = []
    for case in sorted(CASES.iterdir()) if CASES.is_dir() else []:
        spec = case / "case.yaml"
        if not spec.is_file():
            continue
        data = yaml.safe_load(spec.read_text(encoding="utf-8"))
        if data.get("kind", "config") == "config" and data["expect"]["exit"] == 0:
            found.append(case)
    return found


def _env_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _case_options(case: Path) -> LoadOptions:
    data = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    words = [str(a) for a in data.get("args") or []]
    picked: dict[str, list[str]] = {key: [] for key in _OPTION.values()}
    services: list[str] = []
    i = 0
    while i < len(words):
        name, eq, inline = words[i].partition("=")
        if name in _OPTION:
            picked[_OPTION[name]].append(inline if eq else words[i + 1])
            i += 0 if eq else 1
        elif not words[i].startswith("-"):
            services.append(words[i])
        i += 1
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "")}
    environ.update({k: _env_value(v) for k, v in (data.get("env") or {}).items()})
    return LoadOptions(
        files=tuple(picked["files"]),
        project_name=(picked["project"] or [None])[-1],
        project_directory=(picked["directory"] or [None])[-1],
        env_files=tuple(picked["env_files"]),
        profiles=tuple(picked["profiles"]),
        services=tuple(services),
        interpolate="--no-interpolate" not in words,
        environ=environ,
        cwd=str(case),
    )


def test_the_corpus_is_there() -> None:
    assert len(_valid_cases()) >= 10


def test_a_recent_kubernetes_is_used() -> None:
    major, minor = (int(p) for p in K8S_VERSION.split(".")[:2])
    assert (major, minor) >= (1, 33)


def test_an_invalid_manifest_fails_validation() -> None:
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}}
    bad["spec"] = {"ports": [{"port": "not-a-number"}], "bogus": True}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)


@pytest.mark.parametrize("case", _valid_cases(), ids=lambda p: p.name)
def test_case_renders_valid_manifests(case: Path) -> None:
    project = load_project(_case_options(case))
    validate_all(render(project, "cases"))


EXAMPLE_RUNS = [
    ("postgres-dotnet", ("compose.yaml",), ()),
    ("postgres-dotnet", ("compose.yaml", "compose.local.yaml"), ()),
    ("databases", ("compose.yaml",), ("postgres",)),
    ("databases", ("compose.yaml",), ("mongodb",)),
    ("databases", ("compose.yaml",), ("sqlserver",)),
]


@pytest.mark.parametrize(
    ("example", "files", "profiles"),
    EXAMPLE_RUNS,
    ids=["pg-dotnet", "pg-dotnet-local", "db-postgres", "db-mongodb", "db-sqlserver"],
)
def test_example_renders_valid_manifests(
    example: str, files: tuple[str, ...], profiles: tuple[str, ...]
) -> None:
    directory = EXAMPLES / example
    options = LoadOptions(
        files=files, profiles=profiles, environ={}, cwd=str(directory)
    )
    rendering = render(load_project(options))
    validate_all(rendering)
    kinds = {m["kind"] for m in rendering.manifests}
    assert "StatefulSet" in kinds
    assert "Service" in kinds
