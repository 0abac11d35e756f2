"""Swarm test set-up: a private single-node swarm for the whole session.

Every test here is marked ``engine`` and ``swarm``. The swarm runs in its own
dockerd (see ``daemon.py``); the shared engine never enters swarm mode.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import docker
import docker.errors
import pytest

from swarm.daemon import (
    PREFIX,
    Daemon,
    Namespace,
    check_prerequisites,
    link,
    load_images,
    reap_stale,
    run,
)

log = logging.getLogger(__name__)

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
NAMESPACE = "com.docker.stack.namespace"
#: The worker's link: the manager's end and the worker's end.
WORKER_GATEWAY = "10.231.8.1"
WORKER_ADDR = "10.231.8.2"


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
    netns: Namespace


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def swarm() -> Iterator[Swarm]:
    """A single-node swarm in a private dockerd, torn down after the session.

    The daemon and its namespace go in every case: on failure, on Ctrl-C and on
    SIGTERM (turned into KeyboardInterrupt so pytest still tears down); what a
    SIGKILL leaves behind is reaped by the next session.
    """
    check_prerequisites()
    for name in reap_stale():
        log.warning("removed the leftovers of an earlier swarm test run: %s", name)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    tag = uuid.uuid4().hex[:8]
    netns = Namespace(f"{PREFIX}{tag}-m")
    daemon = Daemon(Path(f"/run/{netns.name}"), netns, MANAGER_ADDR)
    try:
        daemon.claim()
        netns.create()
        link(netns, MANAGER_ADDR, None, None)
        client = daemon.start()
        client.swarm.init(
            advertise_addr=MANAGER_ADDR, listen_addr=f"{MANAGER_ADDR}:2377"
        )
        load_images(daemon.host, IMAGES)
        yield Swarm(daemon.host, client, daemon, netns)
    finally:
        try:
            daemon.stop()
        finally:
            netns.delete()
            signal.signal(signal.SIGTERM, previous)


@dataclass
class Worker:
    """A second dockerd joined to the swarm as a worker, with its node ID."""

    daemon: Daemon
    node_id: str


@pytest.fixture
def swarm_worker(swarm: Swarm) -> Iterator[Worker]:
    """A worker node in a namespace of its own, linked to the manager's.

    The worker reaches the manager's address through its link; it leaves (or is
    removed from) the swarm and is torn down after the test.
    """
    tag = uuid.uuid4().hex[:8]
    netns = Namespace(f"{PREFIX}{tag}-w")
    daemon = Daemon(Path(f"/run/{netns.name}"), netns, WORKER_ADDR)
    node_id = ""
    try:
        daemon.claim()
        netns.create()
        _, end = link(swarm.netns, WORKER_GATEWAY, netns, WORKER_ADDR)
        run("ip", "-n", netns.name, "route", "add", f"{MANAGER_ADDR}/32", "dev", end)
        client = daemon.start()
        load_images(daemon.host, [BUSYBOX])
        token = swarm.client.swarm.attrs["JoinTokens"]["Worker"]
        client.swarm.join(
            remote_addrs=[f"{MANAGER_ADDR}:2377"],
            join_token=token,
            advertise_addr=WORKER_ADDR,
            listen_addr=f"{WORKER_ADDR}:2377",
        )
        node_id = client.info()["Swarm"]["NodeID"]
        swarm.client.nodes.get(node_id).update(
            {"Role": "worker", "Availability": "active", "Labels": {"zone": "b"}}
        )
        yield Worker(daemon, node_id)
    finally:
        try:
            daemon.stop()
        finally:
            netns.delete()
            if node_id:
                with contextlib.suppress(docker.errors.DockerException):
                    swarm.client.nodes.get(node_id).remove(force=True)


@dataclass
class SwarmProject:
    """A project directory deployed to the private swarm with the composer CLI."""

    path: Path
    name: str
    swarm: Swarm
    #: ``-f`` files given to every command (none: compose.yaml).
    files: tuple[str, ...] = ()

    def write(self, text: str, filename: str = "compose.yaml") -> None:
        """Write a project file (``@P@`` becomes the project name)."""
        (self.path / filename).write_text(text.replace("@P@", self.name))

    def run(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        """Run ``composer -p NAME ARGS`` against the swarm; check the exit code."""
        # A variable of the calling shell (POSTGRES_DB, say) would win over .env.
        env = {k: v for k, v in os.environ.items() if not k.startswith("POSTGRES_")}
        env |= {"NO_COLOR": "1", "DOCKER_HOST": self.swarm.host}
        files = [arg for f in self.files for arg in ("-f", f)]
        proc = subprocess.run(
            [COMPOSER, "--progress", "plain", "-p", self.name, *files, *args],
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

    def stack(self, *args: str) -> str:
        """Output of ``docker stack ARGS`` (the docker CLI) against the swarm."""
        proc = subprocess.run(
            ["docker", "-H", self.swarm.host, "stack", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return proc.stdout + proc.stderr

    def leftovers(self) -> list[str]:
        """Every object of the project still on the swarm's manager.

        Found by the stack label or by a name in the project's namespace
        (``NAME_...``), so an object made without the label counts too.
        """
        c = self.swarm.client

        def ours(obj: Any, name: str) -> bool:
            labels = obj.attrs.get("Labels") or obj.attrs.get("Spec", {}).get("Labels")
            return name.lstrip("/").startswith(f"{self.name}_") or (
                (labels or {}).get(NAMESPACE) == self.name
            )

        found = [f"service {s.name}" for s in c.services.list() if ours(s, s.name)]
        found += [f"network {n.name}" for n in c.networks.list() if ours(n, n.name)]
        found += [f"secret {s.name}" for s in c.secrets.list() if ours(s, s.name)]
        found += [f"config {x.name}" for x in c.configs.list() if ours(x, x.name)]
        found += [
            f"container {x.name}"
            for x in c.containers.list(all=True)
            if x.name.startswith(f"{self.name}_")
            or x.labels.get(NAMESPACE) == self.name
        ]
        found += [f"volume {v.name}" for v in c.volumes.list() if ours(v, v.name)]
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
