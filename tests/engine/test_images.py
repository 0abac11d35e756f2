"""The local test images: postgres:15 follows the official image's contract."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import docker
import pytest
from docker.models.containers import Container

PROJECT_LABEL = "com.docker.compose.project"
USER = "tester"
PASSWORD = "s3cret pass"
DATABASE = "things"


def _wait_ready(container: Container, timeout: float = 60) -> None:
    """Wait until pg_isready succeeds inside the container, or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container.reload()
        if container.status == "exited":
            pytest.fail(f"postgres exited:\n{container.logs().decode()}")
        code, _ = container.exec_run(["pg_isready", "-U", USER, "-d", DATABASE])
        if code == 0:
            return
        time.sleep(0.5)
    pytest.fail(f"postgres not ready in {timeout}s:\n{container.logs().decode()}")


def _psql(container: Container, sql: str, password: str = PASSWORD) -> tuple[int, str]:
    """Run SQL over TCP with password authentication; return exit code and output."""
    code, output = container.exec_run(
        ["psql", "-h", "127.0.0.1", "-U", USER, "-d", DATABASE, "-tAc", sql],
        environment={"PGPASSWORD": password},
    )
    assert isinstance(output, bytes) and code is not None
    return code, output.decode().strip()


def test_postgres_initialises_answers_and_keeps_data(
    docker_client: docker.DockerClient, postgres_image: str, project_name: str
) -> None:
    """Init from POSTGRES_* env, query over TCP, restart without re-init."""
    container = docker_client.containers.run(
        postgres_image,
        name=f"{project_name}-db",
        labels={PROJECT_LABEL: project_name},
        environment={
            "POSTGRES_USER": USER,
            "POSTGRES_PASSWORD": PASSWORD,
            "POSTGRES_DB": DATABASE,
        },
        detach=True,
    )
    _wait_ready(container)

    assert _psql(container, "select current_user, current_database()") == (
        0,
        f"{USER}|{DATABASE}",
    )
    assert _psql(container, "select 1", password="wrong")[0] != 0
    assert (
        _psql(container, "create table t (v text); insert into t values ('kept')")[0]
        == 0
    )
    top = container.top()
    users = {row[top["Titles"].index("UID")] for row in top["Processes"]}
    assert "root" not in users, top

    container.restart(timeout=20)
    _wait_ready(container)

    assert _psql(container, "select v from t") == (0, "kept")
    logs = container.logs().decode()
    assert logs.count("initialising a new cluster") == 1, logs
    assert "found an existing cluster" in logs


def test_postgres_stops_cleanly_on_sigterm(
    docker_client: docker.DockerClient, postgres_image: str, project_name: str
) -> None:
    """SIGTERM makes the server shut down on its own with exit status 0."""
    container = docker_client.containers.run(
        postgres_image,
        name=f"{project_name}-db",
        labels={PROJECT_LABEL: project_name},
        environment={"POSTGRES_USER": USER, "POSTGRES_PASSWORD": PASSWORD},
        detach=True,
    )
    _wait_ready(container)

    container.kill(signal="SIGTERM")
    result = container.wait(timeout=30)

    assert result["StatusCode"] == 0, container.logs().decode()
    assert "database system is shut down" in container.logs().decode()


def test_postgres_without_password_refuses_to_start(
    docker_client: docker.DockerClient, postgres_image: str, project_name: str
) -> None:
    """Like the official image, an empty data directory needs a password."""
    container = docker_client.containers.run(
        postgres_image,
        name=f"{project_name}-db",
        labels={PROJECT_LABEL: project_name},
        detach=True,
    )

    result = container.wait(timeout=30)

    assert result["StatusCode"] != 0
    assert "POSTGRES_PASSWORD" in container.logs().decode()


def test_build_images_is_cached(repo_root: Path) -> None:
    """A second build-images run finds every recipe unchanged and builds nothing."""
    result = subprocess.run(
        [str(repo_root / "scripts" / "build-images"), "busybox", "postgres"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "building" not in result.stderr, result.stderr
    for image in ("composer-test/busybox:latest", "composer-test/postgres:15"):
        assert f"{image} is up to date" in result.stderr
