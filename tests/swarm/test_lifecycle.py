"""up, diff and down on a private single-node swarm with busybox services."""

from __future__ import annotations

import json
import time

from swarm.conftest import SwarmProject
from swarm.tasks import running

BASIC = """
x-composer:
  target: swarm
services:
  web:
    image: composer-test/busybox:latest
    command: ["sleep", "3600"]
    environment:
      COLOUR: blue
    secrets: [token]
    configs: [settings]
    ports: ["18080:80"]
    networks: [front]
    volumes: [data:/data]
    deploy:
      replicas: 2
      labels: {tier: web}
      update_config: {order: start-first, parallelism: 1}
      restart_policy: {condition: any, delay: 1s}
      resources: {limits: {cpus: "0.5", memory: 64M}}
      placement: {constraints: ["node.role==manager"], max_replicas_per_node: 3}
  worker:
    image: composer-test/busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    networks: [front]
    deploy:
      mode: global
networks:
  front: {}
volumes:
  data: {}
secrets:
  token: {file: ./token.txt}
configs:
  settings: {file: ./settings.conf}
"""


def _plan(p: SwarmProject) -> dict:  # type: ignore[type-arg]
    out = p.run("diff", "--format", "json")
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_up_diff_down(swarm_project: SwarmProject) -> None:
    """A project deploys as stack services; diff is then empty; down leaves nothing."""
    p = swarm_project
    p.write(BASIC)
    p.write("s3cret\n", "token.txt")
    p.write("level=1\n", "settings.conf")

    first = _plan(p)
    actions = {(s["action"], s["kind"], s["name"]) for s in first["steps"]}
    assert ("create", "service", f"{p.name}_web") in actions
    assert ("create", "network", f"{p.name}_front") in actions
    p.run("up", "--wait", "--wait-timeout", "120")
    p.run("diff", "--exit-code")

    services = p.services()
    assert sorted(services) == [f"{p.name}_web", f"{p.name}_worker"]
    web = services[f"{p.name}_web"].attrs["Spec"]
    assert web["Mode"] == {"Replicated": {"Replicas": 2}}
    assert web["UpdateConfig"]["Order"] == "start-first"
    assert web["Labels"]["tier"] == "web"
    assert "Global" in services[f"{p.name}_worker"].attrs["Spec"]["Mode"]
    running = [
        t
        for t in services[f"{p.name}_web"].tasks()
        if t["Status"]["State"] == "running"
    ]
    assert len(running) == 2

    p.run("down", "--volumes")
    assert p.leftovers() == []


ROLLING = """
x-composer:
  target: swarm
services:
  app:
    image: composer-test/busybox:latest
    command: @CMD@
    stop_grace_period: 1s
    deploy:
      replicas: 2
      update_config: {parallelism: 1, failure_action: rollback, monitor: 5s}
      rollback_config: {parallelism: 2}
"""
SLEEP = '["sleep", "3600"]'
CRASH = '["sh", "-c", "echo starting; exit 3"]'
ROLLED_BACK_WITHIN = 180.0


def test_failed_update_rolls_back_and_is_reported(swarm_project: SwarmProject) -> None:
    """An update whose tasks fail rolls back; ``up --wait`` fails naming the error.

    The swarm is left on the previous spec: the file still asks for the
    change (``diff --exit-code`` is 2) until it is put back (then 0).
    """
    p = swarm_project
    app = f"{p.name}_app"
    p.write(ROLLING.replace("@CMD@", SLEEP))
    p.run("up", "--wait", "--wait-timeout", "120")
    p.run("diff", "--exit-code")

    p.write(ROLLING.replace("@CMD@", CRASH))
    failed = p.run("up", "--wait", "--wait-timeout", "180", code=1)
    assert f"service {app}: update" in failed.stderr, failed.stderr
    assert "non-zero exit (3)" in failed.stderr, failed.stderr

    deadline = time.monotonic() + ROLLED_BACK_WITHIN
    while (p.services()[app].attrs.get("UpdateStatus") or {}).get(
        "State"
    ) != "rollback_completed":
        assert time.monotonic() < deadline, p.services()[app].attrs["UpdateStatus"]
        time.sleep(1)
    spec = p.services()[app].attrs["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert spec["Args"] == ["sleep", "3600"]
    assert len(running(p.services()[app])) == 2
    p.run("diff", "--exit-code", code=2)

    p.write(ROLLING.replace("@CMD@", SLEEP))
    p.run("diff", "--exit-code")
    p.run("down")
    assert p.leftovers() == []
