"""Smoke tests of the test foundation: the engine, the busybox image, the scripts."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import docker
import docker.errors
import pytest
from docker.models.containers import Container

PROJECT_LABEL = "com.docker.compose.project"


def _wait_for_status(container: Container, want: str) -> str:
    """Poll the container until its status is `want` or 10 s pass; return it."""
    deadline = time.monotonic() + 10
    container.reload()
    while container.status != want and time.monotonic() < deadline:
        time.sleep(0.2)
        container.reload()
    return str(container.status)


def test_busybox_container_runs_and_is_removed(
    docker_client: docker.DockerClient, busybox_image: str, project_name: str
) -> None:
    """A container from the busybox image starts, runs a shell, and goes away."""
    container = docker_client.containers.run(
        busybox_image,
        ["sh", "-c", "echo ready; sleep 300"],
        name=f"{project_name}-smoke",
        labels={PROJECT_LABEL: project_name},
        detach=True,
    )

    assert _wait_for_status(container, "running") == "running"
    exit_code, output = container.exec_run(["sh", "-c", "echo $((6 * 7))"])
    assert (exit_code, output) == (0, b"42\n")

    container.remove(force=True)
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(str(container.id))


def test_project_label_finds_only_this_project(
    docker_client: docker.DockerClient, busybox_image: str, project_name: str
) -> None:
    """The cleanup label selects this test's objects and nothing else."""
    docker_client.networks.create(
        f"{project_name}_default", labels={PROJECT_LABEL: project_name}
    )
    docker_client.volumes.create(
        f"{project_name}_data", labels={PROJECT_LABEL: project_name}
    )

    label = {"label": f"{PROJECT_LABEL}={project_name}"}
    assert [n.name for n in docker_client.networks.list(filters=label)] == [
        f"{project_name}_default"
    ]
    assert [v.name for v in docker_client.volumes.list(filters=label)] == [
        f"{project_name}_data"
    ]


def test_ensure_docker_clears_stale_pid_file_and_sockets(
    repo_root: Path, tmp_path: Path
) -> None:
    """ensure-docker --dry-run, seeing no dockerd, plans to clear stale state.

    Runs in private pid and mount namespaces over an empty /run, so the shared
    engine is neither seen nor touched.
    """
    script = f"""
set -eu
mount -t tmpfs tmpfs /run
mkdir -p /run/containerd
echo 999999 > /run/docker.pid
for sock in /run/docker.sock /run/containerd/containerd.sock; do
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$sock"
done
exec {repo_root}/scripts/ensure-docker --dry-run
"""
    env = {
        **os.environ,
        "DOCKER_HOST": "unix:///run/docker.sock",
        "DOCKER_PIDFILE": "/run/docker.pid",
        "DOCKER_SOCKET": "/run/docker.sock",
        "DOCKERD_LOG": str(tmp_path / "dockerd.log"),
    }
    result = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "--mount", "bash", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    log = result.stderr
    assert "removing stale pid file /run/docker.pid (999999 is not a dockerd)" in log
    assert "removing stale socket /run/docker.sock" in log
    assert "removing stale socket /run/containerd/containerd.sock" in log
    assert "would run: dockerd" in log
    assert not (tmp_path / "dockerd.log").exists()
