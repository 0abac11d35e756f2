"""The reconciler against a real engine: first up, no-op up, edits, down."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, ClassVar

import docker
import pytest
from reconcile_support import (  # noqa: F401
    COMPOSE_V2,
    Deployment,
    cleanup,
    deployment_fixture,
    sleepers,
)
from typer.testing import CliRunner

import composer.cli.pipeline as pipeline
from composer.cli import import_commands
from composer.cli.app import app
from composer.engine.client import Engine
from composer.engine.observe import observe

import_commands()  # every command on app, as the CLI has them

pytestmark = pytest.mark.engine

FULL = """
name: @P@
services:
  base:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "true"], interval: 1s, retries: 3}
    volumes: [data:/data]
    environment: {ROLE: base}
  job:
    image: busybox:local
    command: ["sh", "-c", "exit 0"]
  side:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
    networks: [front]
  web:
    image: busybox:local
    command: ["httpd", "-f", "-p", "80"]
    environment: {A: "1"}
    ports: ["80"]
    networks: {front: {aliases: [www]}, default: null}
    depends_on:
      base: {condition: service_healthy}
      job: {condition: service_completed_successfully}
      side: {condition: service_started}
networks: {front: {}}
volumes: {data: {}}
"""


def _inspect(name: str) -> Any:
    return docker.from_env().api.inspect_container(name)


class Recording(Engine):
    """An Engine that remembers every instance, to count requests."""

    made: ClassVar[list[Engine]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        Recording.made.append(self)


def _up_in_process(dep: Deployment, monkeypatch: pytest.MonkeyPatch) -> Engine:
    Recording.made = []
    monkeypatch.setattr(pipeline, "connect", Recording)
    monkeypatch.chdir(dep.path)
    result = CliRunner().invoke(app, ["--progress", "quiet", "up", "-d"])
    assert result.exit_code == 0, result.output
    assert len(Recording.made) == 1
    return Recording.made[0]


def test_first_up_then_noop(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Networks, volume, ports, health and all three conditions; then an `up`
    that only starts the completed one-shot again."""
    dep = deployment
    dep.write(FULL)
    dep.up()
    p = dep.name
    assert _inspect(f"{p}-web-1")["State"]["Running"]
    assert _inspect(f"{p}-base-1")["State"]["Health"]["Status"] == "healthy"
    job = _inspect(f"{p}-job-1")["State"]
    assert (job["Status"], job["ExitCode"]) == ("exited", 0)
    nets = _inspect(f"{p}-web-1")["NetworkSettings"]["Networks"]
    assert set(nets) == {f"{p}_front", f"{p}_default"}
    assert "www" in nets[f"{p}_front"]["Aliases"]
    assert "web" in nets[f"{p}_front"]["Aliases"]
    ports = _inspect(f"{p}-web-1")["NetworkSettings"]["Ports"]["80/tcp"]
    assert ports and ports[0]["HostPort"]
    assert (
        docker.from_env()
        .volumes.get(f"{p}_data")
        .attrs["Labels"]["com.docker.compose.volume"]
        == "data"
    )

    before = dep.ids()
    engine = _up_in_process(dep, monkeypatch)
    # up starts the completed one-shot again, as Compose's does; nothing else.
    changed = [
        url.split("?")[0]
        for _, url in engine.log.mutating
        if "composer-lock" not in url and "/containers/composer-lock" not in url
    ]
    assert f"/containers/{before[f'{p}-job-1']}/start" in " ".join(changed)
    assert not [u for u in changed if "/create" in u or "/stop" in u], changed
    assert dep.ids() == before
    dep.assert_converged(completed=("job",))


def test_noop_observe_makes_four_requests(deployment: Deployment) -> None:
    """Observing a converged project takes at most four GET requests."""
    dep = deployment
    dep.write(FULL)
    dep.up()
    engine = Engine()
    observe(engine, dep.name)
    assert len(engine.log.requests) <= 4
    assert all(method == "GET" for method, _ in engine.log.requests)
    assert not any("version" in url for _, url in engine.log.requests)
    # The light reader's requests are the ones counted.
    assert sorted(url.split("?")[0] for _, url in engine.log.requests) == [
        "/v1.41/containers/json",
        "/v1.41/images/json",
        "/v1.41/networks",
        "/v1.41/volumes",
    ]
    dep.assert_converged(completed=("job",))


def test_reference_compose_ps_lists_composer_containers(
    deployment: Deployment,
) -> None:
    """`docker compose ps` (v2) sees composer's containers as its own."""
    dep = deployment
    dep.write(FULL)
    dep.up()
    proc = subprocess.run(
        [COMPOSE_V2, "-p", dep.name, "ps", "-a", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert {r["Service"] for r in rows} == {"base", "job", "side", "web"}
    assert {r["Name"] for r in rows} >= {f"{dep.name}-web-1", f"{dep.name}-base-1"}
    dep.assert_converged(completed=("job",))


def test_marker_in_named_volume_survives_recreate_and_down(
    deployment: Deployment,
) -> None:
    """Data in a named volume outlives recreate and down; down -v removes it."""
    dep = deployment
    dep.write(FULL)
    dep.up()
    client = docker.from_env()
    base = client.containers.get(f"{dep.name}-base-1")
    assert base.exec_run(["sh", "-c", "echo keep > /data/marker"]).exit_code == 0
    dep.write(FULL.replace("ROLE: base", "ROLE: changed"))
    dep.up()
    base = client.containers.get(f"{dep.name}-base-1")
    assert base.exec_run(["cat", "/data/marker"]).output.strip() == b"keep"
    dep.run("down", "-t", "0")
    assert client.volumes.get(f"{dep.name}_data")
    dep.up()
    base = client.containers.get(f"{dep.name}-base-1")
    assert base.exec_run(["cat", "/data/marker"]).output.strip() == b"keep"
    dep.assert_converged(completed=("job",))
    dep.run("down", "-v", "-t", "0")
    assert not client.volumes.list(filters={"name": f"{dep.name}_data"})
    dep.up()
    dep.assert_converged(completed=("job",))


TWO = """
name: @P@
services:
  a:
    image: busybox:local # img-a
    command: sleep 3600 # cmd-a
    stop_signal: SIGKILL
    environment: {X: "1"}
    labels: {tier: one}
    networks: [one]
    volumes: [{type: tmpfs, target: /scratch}]
    healthcheck: {test: ["CMD", "true"], interval: 5s}
    mem_limit: 64m
  b:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
networks: {one: {}, two: {}}
"""

EDITS = [
    ("environment", 'X: "1"', 'X: "2"', "environment.X"),
    ("image", "busybox:local # img-a", "composer-test/busybox:latest", "image"),
    ("command", "sleep 3600 # cmd-a", "sleep 3601", "command"),
    ("label", "tier: one", "tier: two", "labels.tier"),
    ("network", "networks: [one]", "networks: [two]", "networks"),
    ("mount", "target: /scratch", "target: /scratch2", "volumes"),
    ("healthcheck", "interval: 5s", "interval: 6s", "healthcheck.interval"),
    ("resources", "mem_limit: 64m", "mem_limit: 32m", "mem_limit"),
    ("port", "mem_limit: 64m", 'mem_limit: 64m\n    ports: ["80"]', "ports"),
]


@pytest.mark.parametrize(
    ("kind", "old", "new", "field"), EDITS, ids=[e[0] for e in EDITS]
)
def test_editing_a_field_recreates_only_that_service(
    deployment: Deployment, kind: str, old: str, new: str, field: str
) -> None:
    """diff names the changed field; up recreates a, never b."""
    dep = deployment
    dep.write(TWO)
    dep.up()
    before = dep.ids()
    assert old in TWO
    dep.write(TWO.replace(old, new, 1))
    assert dep.run("diff", "--exit-code", ok=False).returncode == 2
    plan = dep.diff_json()
    steps = [s for s in plan["steps"] if s["kind"] == "container"]
    assert [(s["action"], s["service"]) for s in steps] == [("recreate", "a")]
    paths = [d["path"] for d in steps[0]["diffs"]]
    assert any(p == field or p.startswith(field + ".") for p in paths), paths
    dep.up()
    after = dep.ids()
    a, b = f"{dep.name}-a-1", f"{dep.name}-b-1"
    assert after[b] == before[b]
    assert after[a] != before[a]
    dep.assert_converged()


def test_env_file_and_secret_content_changes_recreate(deployment: Deployment) -> None:
    """Changing the content of an env_file or secret file recreates."""
    dep = deployment
    dep.write("MODE=one\n", "app.env")
    dep.write("s1\n", "tok.txt")
    dep.write(
        sleepers(
            "app",
            extra={"app": "env_file: ./app.env\nsecrets: [tok]"},
            tail="secrets:\n  tok: {file: ./tok.txt}\n",
        )
    )
    dep.up()
    name = f"{dep.name}-app-1"
    first = dep.ids()[name]
    dep.write("s2\n", "tok.txt")
    diffs = [d["path"] for d in dep.diff_json()["steps"][0]["diffs"]]
    assert diffs == ["content of secrets.tok"]
    dep.up()
    second = dep.ids()[name]
    assert second != first
    out = docker.from_env().containers.get(name).exec_run(["cat", "/run/secrets/tok"])
    assert out.output.strip() == b"s2"
    dep.write("MODE=two\n", "app.env")
    assert "environment.MODE" in [
        d["path"] for d in dep.diff_json()["steps"][0]["diffs"]
    ]
    dep.up()
    assert dep.ids()[name] != second
    dep.assert_converged()


def test_scale_up_and_down(deployment: Deployment) -> None:
    """--scale adds numbered replicas and removes the highest first."""
    dep = deployment
    dep.write(sleepers("w"))
    dep.up("--scale", "w=3")
    names = sorted(dep.ids())
    assert names == [f"{dep.name}-w-{n}" for n in (1, 2, 3)]
    first = dep.ids()[f"{dep.name}-w-1"]
    dep.up("--scale", "w=1")
    assert dep.ids() == {f"{dep.name}-w-1": first}
    dep.assert_converged()


def test_orphans_removed_only_on_request(deployment: Deployment) -> None:
    """A dropped service is reported; --remove-orphans removes it."""
    dep = deployment
    dep.write(sleepers("keep", "gone"))
    dep.up()
    dep.write(sleepers("keep"))
    proc = dep.up()
    assert "orphan" in proc.stdout + proc.stderr
    assert f"{dep.name}-gone-1" in dep.ids()
    dep.up("--remove-orphans")
    assert list(dep.ids()) == [f"{dep.name}-keep-1"]
    dep.assert_converged()


def test_down_keeps_external_volume(deployment: Deployment) -> None:
    """down and down -v never remove an external volume."""
    dep = deployment
    client = docker.from_env()
    external = f"{dep.name}-ext"
    client.volumes.create(external)
    try:
        dep.write(
            sleepers(
                "s",
                extra={"s": "volumes: [ext:/ext, own:/own]"},
                tail=f"volumes:\n  ext: {{external: true, name: {external}}}\n"
                "  own: {}\n",
            )
        )
        dep.up()
        dep.assert_converged()
        dep.run("down", "-t", "0")
        dep.run("down", "-v", "-t", "0")
        assert client.volumes.get(external)
        assert not client.volumes.list(filters={"name": f"{dep.name}_own"})
        dep.up()
        dep.assert_converged()
    finally:
        dep.run("down", "-v", "-t", "0", ok=False)
        client.volumes.get(external).remove()


def test_prefix_projects_never_touch_each_other(tmp_path: Path) -> None:
    """Projects `X` and `X2` keep their own containers through up and down."""
    base = f"ct{os.getpid()}pfx"
    deps = []
    try:
        for name in (base, base + "2"):
            path = tmp_path / name
            path.mkdir()
            dep = Deployment(path, name)
            dep.write(sleepers("app"))
            dep.up()
            deps.append(dep)
        first, second = deps
        kept = second.ids()
        first.run("up", "-d", "--remove-orphans")
        first.run("down", "--remove-orphans", "-v", "-t", "0")
        assert first.ids() == {}
        assert second.ids() == kept
        second.assert_converged()
    finally:
        cleanup(base)
        cleanup(base + "2")


def test_failed_recreate_keeps_the_old_container(deployment: Deployment) -> None:
    """When the new container cannot start, the old one is put back."""
    dep = deployment
    blocker = docker.from_env().containers.run(
        "busybox:local",
        ["sleep", "3600"],
        detach=True,
        ports={"80/tcp": None},
        labels={"com.docker.compose.project": dep.name + "-blocker"},
    )
    try:
        blocker.reload()
        taken = blocker.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
        dep.write(sleepers("s"))
        dep.up()
        before = dep.ids()
        dep.write(sleepers("s", extra={"s": f'ports: ["{taken}:80"]'}))
        proc = dep.run("up", "-d", "-t", "0", ok=False)
        assert proc.returncode == 1
        assert dep.ids() == before
        assert _inspect(f"{dep.name}-s-1")["State"]["Running"]
        dep.write(sleepers("s"))
        dep.assert_converged()
    finally:
        blocker.remove(force=True)


def test_leftovers_of_an_interrupted_recreate_are_cleaned(
    deployment: Deployment,
) -> None:
    """A temporary or renamed-aside container from a crash is converged away."""
    dep = deployment
    dep.write(sleepers("s"))
    dep.up()
    client = docker.from_env()
    name = f"{dep.name}-s-1"
    real = client.containers.get(name)
    # A crash after creating the replacement under its temporary name.
    client.containers.create(
        "busybox:local",
        ["sleep", "3600"],
        name=f"0123456789ab_{name}",
        labels=real.labels,
    )
    steps = dep.diff_json()["steps"]
    assert [(s["action"], s["name"]) for s in steps] == [
        ("remove", f"0123456789ab_{name}")
    ]
    dep.up()
    assert dep.ids() == {name: real.id}
    # A crash after the old one was stopped and renamed aside.
    real.stop(timeout=0)
    real.rename(f"{name}_composer-old-{real.id[:12]}")
    dep.up()
    found = dep.ids()
    assert list(found) == [name]
    assert found[name] != real.id
    assert _inspect(name)["State"]["Running"]
    dep.assert_converged()


def test_project_started_by_docker_compose_is_adopted(deployment: Deployment) -> None:
    """Containers made by Docker Compose v2 compare by its config hash."""
    dep = deployment
    dep.write(
        sleepers("a", "b", extra={"a": 'environment: {X: "1"}', "b": "depends_on: [a]"})
    )
    subprocess.run(
        [COMPOSE_V2, "up", "-d"], cwd=dep.path, check=True, capture_output=True
    )
    before = dep.ids()
    assert len(before) == 2
    dep.assert_converged()
    dep.up()
    assert dep.ids() == before
    dep.write(dep.path.joinpath("compose.yaml").read_text().replace('"1"', '"2"'))
    steps = dep.diff_json()["steps"]
    assert [(s["action"], s["service"]) for s in steps] == [("recreate", "a")]
    assert [d["path"] for d in steps[0]["diffs"]] == ["config hash"]
    dep.up()
    dep.assert_converged()


COMPOSE_V2_BINARY = str(
    Path(COMPOSE_V2).resolve().parents[1]
    / "lib"
    / "python3.11"
    / "site-packages"
    / "compose"
    / "docker-compose"
)

ADOPTED = """
name: @P@
services:
  db:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
    environment: {POSTGRES_DB: app, EMPTY: "", ODD: "a<b&c>"}
    volumes: [data:/data, ./conf:/conf:ro, {type: tmpfs, target: /run/t}]
    healthcheck: {test: ["CMD", "true"], interval: 1s, retries: 5}
    labels: {z.last: "1", a.first: "2"}
  web:
    image: busybox:local
    command: ["httpd", "-f", "-p", "80"]
    ports: ["80", "127.0.0.1::8080/udp"]
    environment: [MODE=prod]
    networks: {front: {aliases: [www]}, default: null}
    depends_on:
      db: {condition: service_healthy}
    stop_grace_period: 2s
    extra_hosts: ["other:10.0.0.9"]
networks: {front: {}}
volumes: {data: {}}
"""


def test_compose_config_hash_matches_with_ports_volumes_and_env(
    deployment: Deployment,
) -> None:
    """A project Docker Compose v2 made is converged for composer: same hashes."""
    dep = deployment
    dep.write(ADOPTED)
    (dep.path / "conf").mkdir()
    made = subprocess.run(
        [COMPOSE_V2_BINARY, "up", "-d", "--wait"],
        cwd=dep.path,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    before = dep.ids()
    assert len(before) == 2
    for service in ("db", "web"):
        label = _inspect(f"{dep.name}-{service}-1")["Config"]["Labels"][
            "com.docker.compose.config-hash"
        ]
        ours = dep.run("config", "--hash", service).stdout.split()
        assert ours == [service, label]
    assert dep.diff_json()["steps"] == []
    dep.assert_converged()
    dep.up()
    assert dep.ids() == before
    dep.assert_converged()


def test_wait_ps_and_logs(deployment: Deployment) -> None:
    """--wait returns once healthy; ps and logs show the project."""
    dep = deployment
    dep.write(
        """
name: @P@
services:
  h:
    image: busybox:local
    command: ["sh", "-c", "echo hello-from-h; sleep 3600"]
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD-SHELL", "test -e /ready || (sleep 1; touch /ready; false)"]
      interval: 1s
      retries: 10
"""
    )
    dep.up("--wait", "--wait-timeout", "60")
    assert _inspect(f"{dep.name}-h-1")["State"]["Health"]["Status"] == "healthy"
    rows = json.loads(dep.run("ps", "--format", "json").stdout)
    assert [r["Name"] for r in rows] == [f"{dep.name}-h-1"]
    assert rows[0]["Service"] == "h"
    out = dep.run("logs", "--tail", "5", "h").stdout
    assert f"{dep.name}-h-1 | hello-from-h" in out
    dep.assert_converged()


def test_inline_config_and_environment_secret(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inline and environment-sourced configs/secrets are written and tracked."""
    dep = deployment
    dep.write(
        """
name: @P@
services:
  a:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
    configs: [{source: c, target: /etc/c.txt}]
    secrets: [s]
configs:
  c: {content: "inline"}
secrets:
  s: {environment: CT_SECRET}
"""
    )
    monkeypatch.setenv("CT_SECRET", "one")
    dep.up()
    a = docker.from_env().containers.get(f"{dep.name}-a-1")
    assert a.exec_run(["cat", "/etc/c.txt"]).output == b"inline"
    assert a.exec_run(["cat", "/run/secrets/s"]).output == b"one"
    monkeypatch.setenv("CT_SECRET", "two")
    steps = dep.diff_json()["steps"]
    assert [d["path"] for d in steps[0]["diffs"]] == ["content of secrets.s"]
    dep.up()
    a = docker.from_env().containers.get(f"{dep.name}-a-1")
    assert a.exec_run(["cat", "/run/secrets/s"]).output == b"two"
    dep.assert_converged()
