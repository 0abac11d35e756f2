"""A two-node swarm: placement across the nodes, then the worker goes away.

The worker is a second private dockerd in a namespace of its own, joined with
the swarm's worker token and labelled ``zone=b`` (see ``swarm_worker``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import docker.models.services

from swarm.conftest import Swarm, SwarmProject, Worker
from swarm.tasks import running

#: Bounds for what the swarm does by itself (not assertions on time).
NODE_DOWN_WITHIN = 180.0
RESCHEDULED_WITHIN = 180.0

PROJECT = """
x-composer:
  target: swarm
services:
  pinned:
    image: composer-test/busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    deploy:
      replicas: 2
      placement:
        constraints: ["node.labels.zone == b"]
  one-per-node:
    image: composer-test/busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    deploy:
      replicas: 2
      placement:
        max_replicas_per_node: 1
  anywhere:
    image: composer-test/busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    deploy:
      replicas: 2
      placement:
        preferences: [{spread: node.id}]
"""


def _nodes(service: docker.models.services.Service) -> Counter[str]:
    """How many running tasks of the service each node has."""
    return Counter(t["NodeID"] for t in running(service))


def _until(what: str, check: Callable[[], bool], within: float) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` past ``within``."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"the swarm did not {what}"
        time.sleep(1)


def test_placement_and_a_node_going_away(
    swarm_project: SwarmProject, swarm: Swarm, swarm_worker: Worker
) -> None:
    """Constraints, max replicas per node and spread place tasks on both nodes.

    When the worker goes away (its dockerd killed), the swarm moves what may
    run on the manager there; ``up --wait`` then fails naming the tasks that
    have no node left, while the plan stays empty (the specs did not change);
    ``down`` still removes everything from the manager.
    """
    p = swarm_project
    p.write(PROJECT)
    manager = swarm.client.info()["Swarm"]["NodeID"]
    worker = swarm_worker.node_id
    pinned, per_node, anywhere = (
        f"{p.name}_{s}" for s in ("pinned", "one-per-node", "anywhere")
    )

    p.run("up", "--wait", "--wait-timeout", "180")
    p.run("diff", "--exit-code")
    services = p.services()
    assert _nodes(services[pinned]) == {worker: 2}
    assert _nodes(services[per_node]) == {manager: 1, worker: 1}
    assert _nodes(services[anywhere]) == {manager: 1, worker: 1}

    swarm_worker.daemon.halt()
    _until(
        "mark the worker down",
        lambda: swarm.client.nodes.get(worker).attrs["Status"]["State"] == "down",
        NODE_DOWN_WITHIN,
    )
    _until(
        "move the worker's task of 'anywhere' to the manager",
        lambda: _nodes(p.services()[anywhere]) == {manager: 2},
        RESCHEDULED_WITHIN,
    )
    services = p.services()
    assert _nodes(services[per_node]) == {manager: 1}
    assert _nodes(services[pinned]) == {}

    failed = p.run("up", "--wait", "--wait-timeout", "20", code=1)
    assert "did not converge" in failed.stderr, failed.stderr
    for name in (pinned, per_node):
        assert f"{name}: " in failed.stderr, failed.stderr
    assert "no suitable node" in failed.stderr, failed.stderr
    assert f"{anywhere}: " not in failed.stderr.split("did not converge")[1]
    p.run("diff", "--exit-code")

    p.run("down", "--volumes")
    assert p.leftovers() == []
