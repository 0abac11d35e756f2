"""Swarm test set-up: a private single-node swarm for the whole session.

Every test here is marked ``engine`` and ``swarm``. The swarm runs in its own
dockerd (see ``daemon.py``); the shared engine never enters swarm mode.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from swarm.daemon import Daemon, Namespace, link, load_images

_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parents[1]
COMPOSER = str(ROOT / ".venv" / "bin" / "composer")
BUSYBOX = "composer-test/busybox:latest"
IMAGES = [
    BUSYBOX,
    "composer-test/postgres:15",
    "composer-test/postgres-dotnet-app:local",
]
MANAGER_ADDR = "10.231.7.1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/swarm/ as a real-engine Swarm test."""
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.engine)
            item.add_marker(pytest.mark.swarm)


@dataclass
class Swarm:
    """A running private swarm: its manager's DOCKER_HOST and SDK client."""

    host: str
    client: docker.DockerClient
    daemon: Daemon


@pytest.fixture(scope="session")
def swarm() -> Iterator[Swarm]:
    """A single-node swarm in a private dockerd, torn down after the session."""
    tag = uuid.uuid4().hex[:8]
    netns = Namespace(f"composer-swarm-{tag}")
    daemon = Daemon(Path(f"/run/composer-swarm-{tag}"), netns, MANAGER_ADDR)
    try:
        netns.create()
        link(netns, MANAGER_ADDR, None, None)
        client = daemon.start()
        client.swarm.init(
            advertise_addr=MANAGER_ADDR, listen_addr=f"{MANAGER_ADDR}:2377"
        )
        load_images(daemon.host, IMAGES)
        yield Swarm(daemon.host, client, daemon)
    finally:
        daemon.stop()
        netns.delete()


@dataclass
class SwarmProject:
    """A project directory deployed to the private swarm with the composer CLI."""

    path: Path
    name: str
    swarm: Swarm

    def write(self, text: str, filename: str = "compose.yaml") -> None:
        """Write a project file (``@P@`` becomes the project name)."""
        (self.path / filename).write_text(text.replace("@P@", self.name))

    def run(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        """Run ``composer -p NAME ARGS`` against the swarm; check the exit code."""
        env = {**os.environ, "NO_COLOR": "1", "DOCKER_HOST": self.swarm.host}
        proc = subprocess.run(
            [COMPOSER, "--progress", "plain", "-p", self.name, *args],
            cwd=self.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=400,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode == code, proc.stdout + proc.stderr
        return proc

    def services(self) -> dict[str, docker.models.services.Service]:
        """The project's live services by name (what `docker stack services` sees)."""
        found = self.swarm.client.services.list(
            filters={"label": f"com.docker.stack.namespace={self.name}"}
        )
        return {s.name: s for s in found}

    def leftovers(self) -> list[str]:
        """Every object of the project still on the swarm's manager."""
        label = {"label": f"com.docker.stack.namespace={self.name}"}
        c = self.swarm.client
        found = [f"service {s.name}" for s in c.services.list(filters=label)]
        found += [f"network {n.name}" for n in c.networks.list(filters=label)]
        found += [f"secret {s.name}" for s in c.secrets.list(filters=label)]
        found += [f"config {x.name}" for x in c.configs.list(filters=label)]
        found += [
            f"container {x.name}" for x in c.containers.list(all=True, filters=label)
        ]
        found += [f"volume {v.name}" for v in c.volumes.list(filters=label)]
        return found


@pytest.fixture
def swarm_project(
    swarm: Swarm, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[SwarmProject]:
    """A fresh project name and directory; its objects are removed afterwards."""
    name = f"sw{uuid.uuid4().hex[:8]}"
    project = SwarmProject(tmp_path, name, swarm)
    yield project
    if project.leftovers():
        project.run("down", "--volumes", "--target", "swarm", code=0)
