"""What `up` and `diff` print, against a real engine: errors once, whole lines,
and the running containers when nothing changed."""

from __future__ import annotations

import uuid

import docker
import pytest
from reconcile_support import (  # noqa: F401
    Deployment,
    deployment_fixture,
    sleepers,
)

pytestmark = pytest.mark.engine


def _missing_net(net: str) -> str:
    return sleepers(
        "web",
        extra={"web": "networks: [edge]"},
        tail=f"networks:\n  edge:\n    external: true\n    name: {net}\n",
    )


WORKER = "worker-with-a-rather-long-service-name"


def _two(note: str) -> str:
    """``web`` and a worker labelled ``note`` (changing it recreates the worker)."""
    return sleepers("web", WORKER, extra={WORKER: f"labels: {{note: {note}}}"})


def test_missing_external_network_is_said_once_without_a_plan(
    deployment: Deployment,
) -> None:
    """`up` prints the problem once and no plan; `diff` shows it, not the steps."""
    dep = deployment
    net = f"{dep.name}-edge"
    dep.write(_missing_net(net))
    message = f"network {net} declared as external, but could not be found"

    failed = dep.run("up", "-d", ok=False)
    assert failed.returncode == 1
    output = failed.stdout + failed.stderr
    assert output.count(message) == 1, output
    assert "nothing was changed" in failed.stderr
    assert "create container" not in output
    assert dep.ids() == {}

    shown = dep.run("diff", ok=False)
    assert shown.returncode == 1
    assert shown.stdout.count(message) == 1, shown.stdout
    assert "the plan cannot run until this is fixed" in shown.stdout
    assert "create container" not in shown.stdout

    client = docker.from_env()
    network = client.networks.create(net)
    try:
        dep.up()
        dep.assert_converged()
        dep.run("down", "-t", "0")
    finally:
        network.remove()


def test_second_up_lists_the_running_containers(deployment: Deployment) -> None:
    """With nothing to do, `up` says so and names each container and its state."""
    dep = deployment
    dep.write(_two("x"))
    dep.up()
    again = dep.up()
    lines = again.stdout.splitlines()
    assert lines[0] == f"project {dep.name}: no changes"
    rows = [line.split() for line in lines[1:]]
    worker = WORKER
    assert rows == [
        ["container", f"{dep.name}-web-1", "service", "web", "Running"],
        ["container", f"{dep.name}-{worker}-1", "service", worker, "Running"],
    ]
    dep.assert_converged()


def test_piped_output_keeps_long_lines_whole(deployment: Deployment) -> None:
    """Off a terminal, a plan line longer than 80 columns is not wrapped."""
    dep = deployment
    dep.write(_two("x"))
    dep.up()
    long_arg = "a-long-argument-" + uuid.uuid4().hex * 2
    dep.write(_two(long_arg))
    shown = dep.run("diff")
    changed = [line for line in shown.stdout.splitlines() if long_arg in line]
    assert changed, shown.stdout
    assert changed[0].strip() == f'~ labels.note: "x" -> "{long_arg}"'
    assert all(len(line) > 80 for line in changed)
    dep.up()
    dep.assert_converged()
