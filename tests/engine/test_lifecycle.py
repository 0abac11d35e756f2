"""The everyday commands against a real engine: exec, run, stop/start, restart,
kill, pause, rm, cp, port, top.  Each scenario ends with an empty plan."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import docker
import pytest
from reconcile_support import (  # noqa: F401
    COMPOSER,
    LABEL,
    Deployment,
    deployment_fixture,
)

pytestmark = pytest.mark.engine

PROJECT = """
name: @P@
services:
  db:
    image: busybox:local
    command: ["sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.2; done"]
    volumes: [/scratch]
  web:
    image: busybox:local
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.2; done"]
    environment: {GREETING: hello}
    ports: ["127.0.0.1::80"]
    depends_on: [db]
"""


def _state(name: str) -> str:
    client = docker.from_env()
    return str(client.containers.get(name).attrs["State"]["Status"])


def _oneoffs(dep: Deployment) -> list[str]:
    client = docker.from_env()
    found = client.containers.list(
        all=True,
        filters={
            "label": [
                f"com.docker.compose.project={dep.name}",
                "com.docker.compose.oneoff=True",
            ]
        },
    )
    return [c.name for c in found]


def test_exec_returns_the_command_exit_code(deployment: Deployment) -> None:
    """`exec` passes -e, -w, -u, stdin and the exit code through."""
    dep = deployment
    dep.write(PROJECT)
    dep.up()
    failed = dep.run("exec", "-T", "web", "sh", "-c", "echo out; exit 7", ok=False)
    assert failed.returncode == 7 and failed.stdout == "out\n"
    shown = dep.run(
        "exec",
        "-T",
        "-e",
        "EXTRA=1",
        "-w",
        "/bin",
        "-u",
        "1234",
        "web",
        "sh",
        "-c",
        "echo $GREETING $EXTRA $(pwd) $(id -u)",
    )
    assert shown.stdout.split() == ["hello", "1", "/bin", "1234"]
    piped = subprocess.run(
        [COMPOSER, "exec", "-T", "web", "cat"],
        cwd=dep.path,
        input="through stdin\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert piped.stdout == "through stdin\n", piped.stderr
    missing = dep.run("exec", "--index", "2", "web", "true", ok=False)
    assert missing.returncode == 1 and "no running container" in missing.stderr
    dep.assert_converged()


def test_run_rm_leaves_no_container(deployment: Deployment) -> None:
    """`run --rm` removes its one-off container and returns its exit code."""
    dep = deployment
    dep.write(PROJECT)
    code = dep.run(
        "run", "--rm", "-T", "-e", "X=9", "web", "sh", "-c", "exit $X", ok=False
    )
    assert code.returncode == 9, code.stderr
    assert _oneoffs(dep) == []
    assert _state(f"{dep.name}-db-1") == "running"  # dependencies were started

    said = dep.run(
        "run", "--rm", "-T", "--no-deps", "--entrypoint", "echo", "web", "hi"
    )
    assert said.stdout == "hi\n"
    assert _oneoffs(dep) == []

    kept = dep.run("run", "-d", "web", "sleep", "30").stdout.strip()
    client = docker.from_env()
    oneoff = client.containers.get(kept)
    assert oneoff.labels["com.docker.compose.oneoff"] == "True"
    assert not oneoff.attrs["HostConfig"]["PortBindings"]  # no --service-ports
    oneoff.remove(force=True)

    dep.up()
    dep.assert_converged()


def test_stop_then_start_keeps_container_ids(deployment: Deployment) -> None:
    """`stop` and `start` keep the containers; `restart` restarts them."""
    dep = deployment
    dep.write(PROJECT)
    dep.up()
    ids = dep.ids()
    dep.run("stop", "-t", "5")
    assert {_state(n) for n in ids} == {"exited"}
    dep.run("start")
    assert dep.ids() == ids
    assert {_state(n) for n in ids} == {"running"}

    client = docker.from_env()
    db = client.containers.get(f"{dep.name}-db-1")
    began = db.attrs["State"]["StartedAt"]
    dep.run("restart", "-t", "5", "db")
    db.reload()
    assert db.attrs["State"]["StartedAt"] != began and db.status == "running"
    assert dep.ids() == ids
    dep.assert_converged()


def test_kill_with_signal_pause_and_unpause(deployment: Deployment) -> None:
    """`kill -s` sends the named signal; `pause` and `unpause` round-trip."""
    dep = deployment
    dep.write(PROJECT)
    dep.up()
    dep.run("pause", "web")
    assert _state(f"{dep.name}-web-1") == "paused"
    # ps without -a lists a paused container, as docker ps does.
    listed = dep.run("ps").stdout
    row = next(line for line in listed.splitlines() if f"{dep.name}-web-1" in line)
    assert "(Paused)" in row, listed
    assert f"{dep.name}-db-1" in listed
    rows = json.loads(dep.run("ps", "--format", "json").stdout)
    states = {r["Name"]: r["State"] for r in rows}
    assert states == {f"{dep.name}-db-1": "running", f"{dep.name}-web-1": "paused"}
    dep.run("unpause", "web")
    assert _state(f"{dep.name}-web-1") == "running"

    dep.run("kill", "-s", "SIGTERM", "db")
    client = docker.from_env()
    db = client.containers.get(f"{dep.name}-db-1")
    deadline = time.monotonic() + 10
    while db.status != "exited" and time.monotonic() < deadline:
        time.sleep(0.2)
        db.reload()
    assert db.attrs["State"]["ExitCode"] == 42  # the trap ran: it was SIGTERM
    assert _state(f"{dep.name}-web-1") == "running"

    dep.up()  # the killed container is started again
    assert _state(f"{dep.name}-db-1") == "running"
    dep.assert_converged()


def test_rm_force_with_volumes(deployment: Deployment) -> None:
    """`rm -f -v` removes stopped containers and their anonymous volumes;
    `-s` stops running ones first; running ones are otherwise kept."""
    dep = deployment
    dep.write(PROJECT)
    dep.up()
    client = docker.from_env()
    db = client.containers.get(f"{dep.name}-db-1")
    anonymous = [m["Name"] for m in db.attrs["Mounts"] if m["Type"] == "volume"]
    assert anonymous
    kept = dep.run("rm", "-f")  # running containers are not removed
    assert "No stopped containers" in kept.stderr
    assert set(dep.ids()) == {f"{dep.name}-db-1", f"{dep.name}-web-1"}

    dep.run("stop", "db")
    dep.run("rm", "-f", "-v", "db")
    assert set(dep.ids()) == {f"{dep.name}-web-1"}
    assert not client.volumes.list(filters={"name": anonymous[0]})

    dep.run("rm", "-f", "-s", "web")
    assert dep.ids() == {}
    dep.up()
    dep.assert_converged()


def test_cp_port_and_top(deployment: Deployment, tmp_path: Path) -> None:
    """`cp` both ways, `port` prints the binding, `top` lists processes."""
    dep = deployment
    dep.write(PROJECT)
    dep.up()
    local = tmp_path / "note.txt"
    local.write_text("copied in\n")
    dep.run("cp", str(local), "web:/note.txt")
    out = tmp_path / "back.txt"
    dep.run("cp", "web:/note.txt", str(out))
    assert out.read_text() == "copied in\n"

    address = dep.run("port", "web", "80").stdout.strip()
    assert address.startswith("127.0.0.1:") and int(address.split(":")[1]) > 0
    shown = dep.run("top", "db").stdout
    assert f"{dep.name}-db-1" in shown and "sleep" in shown
    dep.assert_converged()


def test_up_starts_a_container_stopped_with_exit_code_0(deployment: Deployment) -> None:
    """After `stop web` (web exits 0 on SIGTERM), `diff` plans its start and
    `up --wait` starts it again, as Compose's `up` does."""
    dep = deployment
    dep.write(PROJECT)
    dep.up()
    dep.run("stop", "-t", "5", "web")
    client = docker.from_env()
    web = client.containers.get(f"{dep.name}-web-1")
    assert web.attrs["State"]["ExitCode"] == 0 and web.status == "exited"

    steps = dep.diff_json()["steps"]
    assert [(s["action"], s["name"]) for s in steps] == [("start", f"{dep.name}-web-1")]
    assert steps[0]["reason"] == "container is exited with code 0"
    dep.run("up", "-d", "--wait", "--wait-timeout", "60")
    assert _state(f"{dep.name}-web-1") == "running"
    assert dep.ids()[f"{dep.name}-web-1"] == web.id
    dep.assert_converged()


ONE_SHOTS = """
name: @P@
services:
  job:
    image: busybox:local
    command: ["true"]
  app:
    image: busybox:local
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.2; done"]
    depends_on:
      job: {condition: service_completed_successfully}
  oneshot:
    image: busybox:local
    command: ["true"]
"""


def test_up_wait_fails_when_a_service_exits_0_instead_of_running(
    deployment: Deployment,
) -> None:
    """Only a service awaited with service_completed_successfully may complete;
    `up --wait` fails naming any other selected service that is not running."""
    dep = deployment
    dep.write(ONE_SHOTS)
    proc = dep.run("up", "-d", "--wait", "--wait-timeout", "60", ok=False)
    assert proc.returncode != 0
    assert "service oneshot exited with code 0 instead of running" in (
        proc.stdout + proc.stderr
    )
    assert "service job exited" not in proc.stdout + proc.stderr
    dep.run("up", "-d", "--wait", "--wait-timeout", "60", "app")
    assert _state(f"{dep.name}-app-1") == "running"
    dep.assert_converged(completed=("job", "oneshot"))


CHAIN = """
name: @P@
services:
  db:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
  api:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
    depends_on: [db]
  web:
    image: busybox:local
    command: sleep 3600
    stop_grace_period: 2s
    depends_on: [api]
  solo:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
"""


def _container_events(dep: Deployment, since: float) -> dict[tuple[str, str], int]:
    """The engine's time (ns) of each container's die and destroy since then."""
    client = docker.from_env()
    stream = client.events(
        since=int(since),
        until=int(time.time()) + 1,
        decode=True,
        filters={
            "type": "container",
            "label": f"com.docker.compose.project={dep.name}",
        },
    )
    seen: dict[tuple[str, str], int] = {}
    for event in stream:
        service = event["Actor"]["Attributes"].get("com.docker.compose.service", "")
        if event["Action"] in ("die", "destroy"):
            seen.setdefault((service, event["Action"]), int(event["timeNano"]))
    return seen


def test_down_removes_dependents_before_their_dependencies(
    deployment: Deployment,
) -> None:
    """web (slow to stop) is gone before api stops, api before db; solo, on
    web's level, stops alongside web rather than after it."""
    dep = deployment
    dep.write(CHAIN)
    dep.up()
    dep.assert_converged()
    began = time.time() - 1
    dep.run("down")
    at = _container_events(dep, began)
    assert len(at) == 8, at
    assert at[("web", "destroy")] < at[("api", "die")], at
    assert at[("api", "destroy")] < at[("db", "die")], at
    assert at[("solo", "die")] < at[("web", "die")], at
    assert not dep.ids()
    dep.up()
    dep.assert_converged()
