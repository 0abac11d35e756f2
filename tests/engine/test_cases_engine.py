"""Every `kind: engine` case of ../shared/cases, step by step.

Each test copies its case folder, runs the case's commands and checks each
`then`.  Case projects have fixed names (``case24``...), so the finaliser
removes everything labelled with that name, also when the test fails.
Case 37 needs build and watch (issue 5) and is not here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from reconcile_support import COMPOSER, Deployment, cleanup

pytestmark = pytest.mark.engine

CASES = Path(os.environ.get("COMPOSER_CASES", "/work/shared/cases"))


class Case:
    """A copied case folder and the commands run in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = docker.from_env()

    def composer(
        self, *args: str, cwd: str = ".", ok: bool | None = True
    ) -> subprocess.CompletedProcess[str]:
        """Run composer from a folder of the case; check the exit status."""
        proc = subprocess.run(
            [COMPOSER, "--progress", "plain", *args],
            cwd=self.root / cwd,
            env={**os.environ, "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "Traceback" not in proc.stderr + proc.stdout
        if ok is True:
            assert proc.returncode == 0, proc.stdout + proc.stderr
        elif ok is False:
            assert proc.returncode != 0, proc.stdout + proc.stderr
        return proc

    def containers(self, project: str) -> dict[str, docker.models.containers.Container]:
        """The project's containers by name."""
        found = self.client.containers.list(
            all=True, filters={"label": f"com.docker.compose.project={project}"}
        )
        return {c.name: c for c in found}

    def converged(self, project: str, cwd: str = ".", *args: str) -> None:
        """Plan again: the plan must be empty."""
        dep = Deployment(self.root / cwd, project)
        plan = dep.plan(files=[a for a in args if a != "-f"])
        assert plan.empty, [s.to_json() for s in plan.steps]


def _case(case_id: str, tmp_path: Path, *projects: str) -> Iterator[Case]:
    source = next(CASES.glob(f"{case_id}-*"))
    target = tmp_path / source.name
    shutil.copytree(source, target)
    for name in projects:
        cleanup(name)
    try:
        yield Case(target)
    finally:
        for name in projects:
            cleanup(name)


@pytest.fixture
def case24(tmp_path: Path) -> Iterator[Case]:
    """Case 24's folder."""
    yield from _case("24", tmp_path, "case24")


def test_case_24_service_healthy_enforced(case24: Case) -> None:
    """An unhealthy dependency fails up, and dep never starts."""
    began = time.monotonic()
    proc = case24.composer("up", "-d", "-t", "0", ok=False)
    assert time.monotonic() - began < 30
    assert "base is unhealthy" in (proc.stdout + proc.stderr).lower()
    found = case24.containers("case24")
    base = found["case24-base-1"]
    assert base.attrs["State"]["Running"]
    dep = found.get("case24-dep-1")
    if dep is not None:
        assert dep.attrs["State"]["Status"] == "created"
        assert dep.attrs["State"]["StartedAt"].startswith("0001")
    case24.composer("down", "-t", "0")
    assert case24.containers("case24") == {}
    assert not case24.client.networks.list(names=["case24_default"])


@pytest.fixture
def case25(tmp_path: Path) -> Iterator[Case]:
    """Case 25's folder."""
    yield from _case("25", tmp_path, "case25")


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_case_25_port_range_one_binding(case25: Case) -> None:
    """A host range for one container port binds exactly one port."""
    assert all(_free(p) for p in range(6381, 6386)), "ports 6381-6385 are in use"
    case25.composer("up", "-d", "-t", "0")
    s = case25.containers("case25")["case25-s-1"]
    bound = s.attrs["NetworkSettings"]["Ports"]["6379/tcp"]
    ports = {int(b["HostPort"]) for b in bound}
    assert len(ports) == 1
    assert 6381 <= ports.pop() <= 6385
    case25.converged("case25")
    case25.composer("down", "-t", "0")
    assert case25.containers("case25") == {}
    assert all(_free(p) for p in range(6381, 6386))


@pytest.fixture
def case28(tmp_path: Path) -> Iterator[Case]:
    """Case 28's folder."""
    yield from _case("28", tmp_path, "case28")


def test_case_28_repeated_up_keeps_containers(case28: Case) -> None:
    """Repeated up, with or without a service name, keeps the container."""
    case28.composer("up", "-d", "-t", "0")
    app = case28.containers("case28")["case28-app-1"]
    started = app.attrs["State"]["StartedAt"]
    for args in (("up", "-d"), ("up", "-d", "app")):
        case28.composer(*args)
        again = case28.containers("case28")["case28-app-1"]
        assert (again.id, again.attrs["State"]["StartedAt"]) == (app.id, started)
    case28.converged("case28")
    case28.composer("down", "-t", "0")
    assert case28.containers("case28") == {}


@pytest.fixture
def case29(tmp_path: Path) -> Iterator[Case]:
    """Case 29's folder; removes the case's image tag afterwards."""
    yield from _case("29", tmp_path, "case29")
    with contextlib.suppress(docker.errors.ImageNotFound):
        docker.from_env().images.remove("case29-img:current")


def _untouched_lease(proc: subprocess.CompletedProcess[str]) -> None:
    """The run neither removed its own lease nor lost it to itself."""
    text = proc.stdout + proc.stderr
    assert "composer-lock" not in text, text
    assert "taken over" not in text, text


def test_case_29_new_image_id_recreates(case29: Case) -> None:
    """A tag moved to a new local image ID recreates; then nothing changes.

    The committed image carries the Compose labels of case29-app-1, and the
    lease container must not be taken for a project container because of
    them: no run removes it, and the final plain `down` (which outlives a
    lease renewal) exits 0 and removes the network.
    """
    client = case29.client
    client.images.get("busybox:local").tag("case29-img", "current")
    _untouched_lease(case29.composer("up", "-d", "-t", "0"))
    app = case29.containers("case29")["case29-app-1"]
    assert app.attrs["Image"] == client.images.get("busybox:local").id
    committed = app.commit("case29-img", "current", changes="LABEL rev=2")
    assert committed.labels.get("com.docker.compose.project") == "case29"
    proc = case29.composer("up", "-d", "-t", "0")
    _untouched_lease(proc)
    assert "pull" not in (proc.stdout + proc.stderr).lower()
    app2 = case29.containers("case29")["case29-app-1"]
    assert app2.id != app.id
    assert app2.attrs["Image"] == committed.id
    proc = case29.composer("up", "-d")
    _untouched_lease(proc)
    assert "no changes" in proc.stdout + proc.stderr
    assert case29.containers("case29")["case29-app-1"].id == app2.id
    case29.converged("case29")
    _untouched_lease(case29.composer("down"))
    assert case29.containers("case29") == {}
    assert not client.networks.list(names=["case29_default"])
    client.images.remove("case29-img:current")
    assert client.images.get("busybox:local")


@pytest.fixture
def case30(tmp_path: Path) -> Iterator[Case]:
    """Case 30's folder."""
    yield from _case("30", tmp_path, "case30")


def test_case_30_added_secret_recreates(case30: Case) -> None:
    """Adding a secret recreates and mounts it; a second up changes nothing."""
    case30.composer("-f", "compose.yaml", "up", "-d", "-t", "0")
    first = case30.containers("case30")["case30-app-1"].id
    both = ("-f", "compose.yaml", "-f", "with-secret.yaml")
    case30.composer(*both, "up", "-d", "-t", "0")
    app = case30.containers("case30")["case30-app-1"]
    assert app.id != first
    assert app.exec_run(["cat", "/run/secrets/tok"]).output.strip() == b"value-1"
    case30.composer(*both, "up", "-d", "-t", "0")
    assert case30.containers("case30")["case30-app-1"].id == app.id
    case30.converged("case30", ".", *both)
    case30.composer(*both, "down", "-t", "0")


@pytest.fixture
def case32c(tmp_path: Path) -> Iterator[Case]:
    """Case 32c's folder."""
    yield from _case("32c", tmp_path, "case32c")


def test_case_32c_container_name_with_scale_flag(case32c: Case) -> None:
    """--scale above one with container_name fails before any change."""
    proc = case32c.composer("up", "-d", "--scale", "worker=2", ok=False)
    assert "container_name" in proc.stderr + proc.stdout
    assert "unique" in proc.stderr + proc.stdout
    # Located at the service's container_name key, not at "<input>".
    assert "compose.yaml:5:5: error G004" in proc.stderr, proc.stderr
    assert not case32c.client.containers.list(all=True, filters={"name": "case32c"})
    assert not case32c.client.networks.list(names=["case32c_default"])
    case32c.composer("down")
    case32c.composer("up", "-d", "-t", "0")
    case32c.converged("case32c")
    case32c.composer("down", "-t", "0")


@pytest.fixture
def case34(tmp_path: Path) -> Iterator[Case]:
    """Case 34's folder; removes network edge afterwards."""
    client = docker.from_env()
    for net in client.networks.list(names=["edge"]):
        net.remove()
    yield from _case("34", tmp_path, "case34")
    for net in client.networks.list(names=["edge"]):
        net.remove()


def test_case_34_missing_external_network(case34: Case) -> None:
    """A missing external network fails clearly and is never created."""
    client = case34.client
    proc = case34.composer("up", "-d", ok=False)
    text = proc.stdout + proc.stderr
    assert "network edge declared as external, but could not be found" in text
    assert case34.containers("case34") == {}
    assert not client.networks.list(names=["edge"])
    client.networks.create("edge")
    case34.composer("up", "-d", "-t", "0")
    case34.converged("case34")
    case34.composer("down", "-t", "0")
    assert client.networks.list(names=["edge"])


@pytest.fixture
def case36(tmp_path: Path) -> Iterator[Case]:
    """Case 36's folder."""
    yield from _case("36", tmp_path, "case36", "case36-other")


def test_case_36_same_directory_name_is_same_project(case36: Case) -> None:
    """Two case36 folders are one project; orphans go only on request."""
    p1, p2 = "p1/case36", "p2/case36"
    case36.composer("up", "-d", "-t", "0", cwd=p1)
    one = case36.containers("case36")["case36-one-1"]
    proc = case36.composer("up", "-d", "-t", "0", cwd=p2)
    assert "case36-one-1" in proc.stdout + proc.stderr
    assert "orphan" in (proc.stdout + proc.stderr).lower()
    found = case36.containers("case36")
    assert found["case36-one-1"].id == one.id
    assert found["case36-two-1"].attrs["State"]["Running"]
    case36.converged("case36", p2)
    case36.composer("down", "-t", "0", cwd=p2)
    found = case36.containers("case36")
    assert list(found) == ["case36-one-1"]
    assert found["case36-one-1"].attrs["State"]["Running"]
    assert case36.client.networks.list(names=["case36_default"])
    other = case36.composer("-p", "case36-other", "up", "-d", "-t", "0", cwd=p1)
    assert "orphan" not in (other.stdout + other.stderr).lower()
    assert "case36-other-one-1" in case36.containers("case36-other")
    case36.composer("-p", "case36-other", "down", "-t", "0", cwd=p1)
    assert case36.containers("case36-other") == {}
    assert case36.containers("case36")["case36-one-1"].id == one.id
    case36.composer("down", "--remove-orphans", "-t", "0", cwd=p2)
    assert case36.containers("case36") == {}
    assert not case36.client.networks.list(names=["case36_default"])
    case36.composer("up", "-d", "-t", "0", cwd=p1)
    case36.converged("case36", p1)
    case36.composer("down", "-t", "0", cwd=p1)
