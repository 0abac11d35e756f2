"""`composer render k8s`, run as the user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

COMPOSE = """\
services:
  web:
    image: nginx
    ports: ["8080:80"]
    dns: [1.1.1.1]
    depends_on: [db]
  db:
    image: postgres
    expose: ["5432"]
    volumes: [data:/var/lib/postgresql/data]
volumes:
  data:
"""


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "composer")]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(root)}
    return subprocess.run(
        [*command, "-p", "shop", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_stdout_is_one_yaml_stream(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    result = _run(tmp_path, "render", "k8s", "--namespace", "shop-ns")
    assert result.returncode == 0, result.stderr
    documents = list(yaml.safe_load_all(result.stdout))
    assert [(d["kind"], d["metadata"]["name"]) for d in documents] == [
        ("Service", "db"),
        ("Service", "web"),
        ("Service", "web-published"),
        ("StatefulSet", "db"),
        ("Deployment", "web"),
    ]
    assert {d["metadata"]["namespace"] for d in documents} == {"shop-ns"}
    assert "warning K8S001 at services.web.dns" in result.stderr
    assert "Traceback" not in result.stderr


def test_output_directory_has_one_file_per_object(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    result = _run(tmp_path, "render", "k8s", "-o", "out")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "deployment-web.yaml",
        "service-db.yaml",
        "service-web-published.yaml",
        "service-web.yaml",
        "statefulset-db.yaml",
    ]
    text = (tmp_path / "out" / "deployment-web.yaml").read_text()
    assert yaml.safe_load(text)["kind"] == "Deployment"


def test_bad_namespace_is_refused(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    result = _run(tmp_path, "render", "k8s", "--namespace", "Not_Valid")
    assert result.returncode != 0
    assert "--namespace" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_project_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web: {ports: [x]}\n")
    result = _run(tmp_path, "render", "k8s")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
