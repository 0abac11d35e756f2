"""The walk-through of examples/postgres-dotnet/README.md, on a real engine.

The local variant (compose.yaml + compose.local.yaml) is deployed with the
``composer`` command under a project name of its own, and the story is checked
step by step: the plan, ``up --wait`` and its ordering, the visit counter,
a change of the app's environment recreating only the app, ``down`` keeping
the data, ``down -v`` wiping it, and an empty plan at the end (issue 6).

It needs the images made by scripts/build-images and the host ports 7263 and
5433 free.  Everything the project made is removed by label afterwards.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

pytestmark = pytest.mark.engine

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "postgres-dotnet"
COMPOSER = REPO / ".venv" / "bin" / "composer"
APP_URL = "http://localhost:7263"
HOST_PORTS = (7263, 5433)
IMAGES = ("composer-test/postgres:15", "composer-test/debian:bookworm")
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
COMMAND_TIMEOUT = 300.0

EXTRA_ENVIRONMENT = """\
services:
  mi-aplicacion:
    environment:
      GREETING: hola
"""


@dataclass
class Deployment:
    """The example deployed under one project name, driven through composer."""

    name: str
    client: docker.DockerClient
    home: Path
    extra_files: tuple[Path, ...] = ()

    def composer(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``composer -p NAME -f ... ARGS`` from the example's directory."""
        files = ["-f", "compose.yaml", "-f", "compose.local.yaml"]
        for extra in self.extra_files:
            files += ["-f", str(extra)]
        # Only what composer needs: a variable of the calling shell such as
        # POSTGRES_DB would otherwise win over .env.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.home)}
        if "DOCKER_HOST" in os.environ:
            env["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
        return subprocess.run(
            [str(COMPOSER), "-p", self.name, *files, *args],
            cwd=EXAMPLE,
            env=env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )

    def ok(self, *args: str, exit_code: int = 0) -> str:
        """Run composer, check its exit code, return stdout and stderr."""
        result = self.composer(*args)
        output = result.stdout + result.stderr
        assert result.returncode == exit_code, (
            f"composer {' '.join(args)} exited {result.returncode}:\n{output}"
        )
        return output

    def container(self, service: str) -> Any:
        """The one container of ``service``, freshly inspected."""
        found = self.client.containers.list(
            all=True,
            filters={
                "label": [f"{PROJECT_LABEL}={self.name}", f"{SERVICE_LABEL}={service}"]
            },
        )
        assert len(found) == 1, f"{service}: {len(found)} containers"
        return found[0]

    def containers(self) -> list[Any]:
        """Every container of the project."""
        return self.client.containers.list(
            all=True, filters={"label": f"{PROJECT_LABEL}={self.name}"}
        )

    def data_volume_exists(self) -> bool:
        """Whether the project's postgres-data volume exists."""
        volumes = self.client.volumes.list(
            filters={"label": f"{PROJECT_LABEL}={self.name}"}
        )
        return any(
            v.attrs.get("Labels", {}).get("com.docker.compose.volume")
            == "postgres-data"
            for v in volumes
        )


def port_answers(port: int) -> bool:
    """Whether something already listens on the host's ``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def remove_project(client: docker.DockerClient, name: str) -> None:
    """Remove every container, network and volume labelled with the project."""
    label: dict[str, str | list[str] | bool] = {"label": f"{PROJECT_LABEL}={name}"}
    for container in client.containers.list(all=True, filters=label):
        container.remove(force=True, v=True)
    for network in client.networks.list(filters=label):
        network.remove()
    for volume in client.volumes.list(filters=label):
        volume.remove(force=True)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    """A fresh project name, cleaned up by label whatever the test's outcome."""
    client = docker.from_env()
    missing = [image for image in IMAGES if not client.images.list(name=image)]
    if missing:
        pytest.fail(f"missing images {missing}: run scripts/build-images first")
    busy = [port for port in HOST_PORTS if port_answers(port)]
    if busy:
        pytest.fail(
            f"host ports {busy} are taken; is the example still deployed? "
            "(composer -f compose.yaml -f compose.local.yaml down)"
        )
    name = f"pgdotnet-{uuid.uuid4().hex[:10]}"
    try:
        yield Deployment(name=name, client=client, home=tmp_path)
    finally:
        remove_project(client, name)
        client.close()


def get_json(path: str, attempts: int = 10) -> dict[str, Any]:
    """GET a path of the app and decode its JSON answer, retrying briefly on a
    refused connection (the port is published as the container starts)."""
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(APP_URL + path, timeout=10) as response:
                assert response.status == 200
                return json.loads(response.read())  # type: ignore[no-any-return]
        except (urllib.error.URLError, ConnectionError):
            if attempt == attempts - 1:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


def visits() -> int:
    """Record one visit and return the count the app read from PostgreSQL."""
    answer = get_json("/")
    assert set(answer) == {"visits", "server_version"}, answer
    assert str(answer["server_version"]).startswith("15"), answer
    assert isinstance(answer["visits"], int)
    return answer["visits"]


def first_event(
    events: Sequence[dict[str, Any]], service: str, status: str
) -> dict[str, Any]:
    """The first container event of ``service`` whose status is ``status``."""
    for event in events:
        attributes = event.get("Actor", {}).get("Attributes", {})
        if attributes.get(SERVICE_LABEL) == service and event.get("status") == status:
            return event
    raise AssertionError(f"no {status!r} event for {service}")


# ------------------------------------------------------------------ the story


def check_plan_and_first_up(d: Deployment) -> None:
    """`diff` shows the whole plan; `up --wait` starts the app after the
    database is healthy and returns with both healthy."""
    plan = d.ok("diff")
    for name in ("mi-postgres", "mi-aplicacion", "postgres-data", "backend"):
        assert name in plan, plan
    d.ok("diff", "--exit-code", exit_code=2)

    since = int(time.time()) - 1
    d.ok("up", "--wait")
    until = int(time.time()) + 1

    # compose.local.yaml's build: the stand-in was built by composer itself.
    built = d.container("mi-aplicacion").image
    assert built.labels.get("composer.build-digest", "").startswith("sha256:"), built
    assert built.attrs["Config"]["Cmd"] == ["python3", "app.py"]

    for service in ("mi-postgres", "mi-aplicacion"):
        state = d.container(service).attrs["State"]
        assert state["Running"], (service, state)
        assert state["Health"]["Status"] == "healthy", (service, state["Health"])

    events = list(
        d.client.events(
            since=since,
            until=until,
            decode=True,
            filters={"type": "container", "label": f"{PROJECT_LABEL}={d.name}"},
        )
    )
    database_healthy = first_event(events, "mi-postgres", "health_status: healthy")
    app_started = first_event(events, "mi-aplicacion", "start")
    assert app_started["timeNano"] >= database_healthy["timeNano"], events


def check_visits_count(d: Deployment) -> int:
    """Each GET / records one visit; /health answers ok."""
    first = visits()
    second = visits()
    assert second == first + 1
    assert get_json("/health") == {"status": "ok"}
    return second


def check_environment_change(d: Deployment, extra: Path) -> None:
    """A new variable for the app: diff names it, up recreates only the app."""
    database_id = d.container("mi-postgres").id
    app_id = d.container("mi-aplicacion").id

    extra.write_text(EXTRA_ENVIRONMENT)
    d.extra_files = (extra,)
    plan = d.ok("diff")
    assert "GREETING" in plan and "environment" in plan, plan
    assert "mi-aplicacion" in plan, plan
    assert not [
        line
        for line in plan.splitlines()
        if "mi-postgres" in line and "recreate" in line.lower()
    ], plan

    d.ok("up", "--wait")
    assert d.container("mi-postgres").id == database_id
    app = d.container("mi-aplicacion")
    assert app.id != app_id
    assert "GREETING=hola" in app.attrs["Config"]["Env"]
    d.ok("diff", "--exit-code")


def check_down_keeps_data(d: Deployment, count: int) -> None:
    """`down` removes the containers, not the volume: the count goes on."""
    d.ok("down")
    assert d.containers() == []
    assert d.data_volume_exists()

    d.ok("up", "--wait")
    assert visits() == count + 1


def check_down_volumes_wipes_data(d: Deployment) -> None:
    """`down -v` removes the volume too: the count starts again."""
    d.ok("down", "-v")
    assert d.containers() == []
    assert not d.data_volume_exists()

    d.ok("up", "--wait")
    assert visits() == 1


def test_readme_walkthrough(deployment: Deployment, tmp_path: Path) -> None:
    check_plan_and_first_up(deployment)
    count = check_visits_count(deployment)
    check_environment_change(deployment, tmp_path / "compose.greeting.yaml")
    count = visits()
    check_down_keeps_data(deployment, count)
    check_down_volumes_wipes_data(deployment)
    deployment.ok("diff", "--exit-code")
