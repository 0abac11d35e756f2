"""A changed secret file: a new secret version, the services using it updated."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from swarm.conftest import Swarm, SwarmProject
from swarm.tasks import replacements, running, running_ids, started_before_stopped

PROJECT = """
x-composer:
  target: swarm
services:
  reader:
    image: composer-test/busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    secrets: [token]
    configs: [settings]
    deploy:
      replicas: 2
  bystander:
    image: composer-test/busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    configs: [settings]
secrets:
  token: {file: ./token.txt}
configs:
  settings: {file: ./settings.conf}
"""


def _steps(p: SwarmProject) -> set[tuple[str, str, str]]:
    plan: dict[str, Any] = json.loads(p.run("diff", "--format", "json").stdout)
    return {(s["action"], s["kind"], s["name"]) for s in plan["steps"]}


def _secrets(p: SwarmProject) -> list[str]:
    label = {"label": f"com.docker.stack.namespace={p.name}"}
    return sorted(s.name for s in p.swarm.client.secrets.list(filters=label))


def _read(swarm: Swarm, task: dict[str, Any], path: str) -> str:
    """A file's content inside a task's container (all run on the manager)."""
    container = swarm.client.containers.get(
        task["Status"]["ContainerStatus"]["ContainerID"]
    )
    code, out = container.exec_run(["cat", path])
    assert code == 0, out
    return str(out.decode())


def test_changed_secret_is_a_new_version_and_updates_its_service(
    swarm_project: SwarmProject, swarm: Swarm, tmp_path_factory: Any
) -> None:
    """The new content gets a new secret, the reader rolls onto it, the old goes.

    Only the service that uses the secret is updated (stop-first, the
    default: each old task stopped before its replacement ran). Another
    project on the same swarm is left alone by this one's ``down``.
    """
    p = swarm_project
    p.write(PROJECT)
    p.write("first\n", "token.txt")
    p.write("level=1\n", "settings.conf")
    other = SwarmProject(
        Path(tmp_path_factory.mktemp("other")), f"sw{uuid.uuid4().hex[:8]}", swarm
    )
    other.write(PROJECT)
    other.write("other\n", "token.txt")
    other.write("level=1\n", "settings.conf")
    try:
        other.run("up", "--wait", "--wait-timeout", "120")
        _scenario(p)
        assert other.leftovers() != []
        other.run("diff", "--exit-code")
    finally:
        other.run("down", "--volumes")
    assert other.leftovers() == []


def _scenario(p: SwarmProject) -> None:
    reader, bystander = f"{p.name}_reader", f"{p.name}_bystander"
    p.run("up", "--wait", "--wait-timeout", "120")
    p.run("diff", "--exit-code")
    [first] = _secrets(p)
    assert first.startswith(f"{p.name}_token_")
    services = p.services()
    for task in running(services[reader]):
        assert _read(p.swarm, task, "/run/secrets/token") == "first\n"
    before = running_ids(services[reader])
    bystander_version = services[bystander].attrs["Version"]["Index"]

    p.write("second\n", "token.txt")
    steps = _steps(p)
    [(_, _, second)] = [s for s in steps if s[:2] == ("create", "secret")]
    assert second != first and second.startswith(f"{p.name}_token_")
    assert steps == {
        ("create", "secret", second),
        ("update", "service", reader),
        ("remove", "secret", first),
    }
    p.run("up", "--wait", "--wait-timeout", "120")
    p.run("diff", "--exit-code")

    assert _secrets(p) == [second]
    services = p.services()
    refs = services[reader].attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
    assert [r["SecretName"] for r in refs] == [second]
    assert services[bystander].attrs["Version"]["Index"] == bystander_version
    pairs = replacements(services[reader], before)
    assert len(pairs) == 2
    for old, new in pairs:
        assert _read(p.swarm, new, "/run/secrets/token") == "second\n"
        assert not started_before_stopped(old, new), (old["Status"], new["Status"])

    p.run("down", "--volumes")
    assert p.leftovers() == []
