"""Drift self-healing against a real engine: `composer reconcile`.

Removed containers come back, stopped ones follow their restart policy, a
crash loop is backed off, and ``reconcile --once`` reports with the
``diff --exit-code`` convention.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import docker
import pytest
from reconcile_support import Deployment
from test_watch import (  # noqa: F401
    Watcher,
    dep_fixture,
    finish,
    ids,
    start_fixture,
    wait_until,
)

from composer.cli.app import GlobalOptions
from composer.cli.pipeline import hasher, prepare
from composer.plan import PlanOptions, plan
from composer.watch.policy import LoopPolicy

pytestmark = pytest.mark.engine

POLICIES = """
name: @P@
services:
  always:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
    restart: always
  never:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
    restart: "no"
"""


def state(name: str) -> str:
    """The state of a container by name ("gone" when it does not exist)."""
    try:
        found = docker.from_env().api.inspect_container(name)
    except docker.errors.NotFound:
        return "gone"
    return str(found["State"]["Status"])


def loop_plan_empty(dep: Deployment) -> None:
    """The loop's plan (restart policies applied) is empty."""
    cwd = os.getcwd()
    os.chdir(dep.path)
    try:
        st = prepare(GlobalOptions())
    finally:
        os.chdir(cwd)
    raw = plan(st.desired, st.actual, PlanOptions(hasher=hasher()))
    narrowed = LoopPolicy().narrow(st.desired, raw, st.actual)
    assert narrowed.plan.empty, [s.to_json() for s in narrowed.plan.steps]


def test_removed_container_is_recreated(
    dep: Deployment, start: Callable[..., Watcher]
) -> None:
    """`docker rm -f` of a managed container is undone within a few seconds."""
    dep.write(POLICIES)
    dep.up()
    watcher = start(dep, "reconcile", "--debounce", "100")
    watcher.wait_for("pass 1", 30)
    victim = f"{dep.name}-never-1"
    old = ids(dep)[victim]
    docker.from_env().api.remove_container(victim, force=True)
    began = time.monotonic()
    wait_until(lambda: state(victim) == "running", 15, watcher.text)
    assert time.monotonic() - began < 10
    assert ids(dep)[victim] != old
    finish(dep, watcher)


def test_stop_respects_restart_policy(
    dep: Deployment, start: Callable[..., Watcher]
) -> None:
    """After `docker stop`, `restart: always` runs again; `restart: no` stays down."""
    dep.write(POLICIES)
    dep.up()
    watcher = start(dep, "reconcile", "--debounce", "100")
    watcher.wait_for("pass 1", 30)
    client = docker.from_env().api
    client.stop(f"{dep.name}-always-1", timeout=0)
    client.stop(f"{dep.name}-never-1", timeout=0)
    wait_until(lambda: state(f"{dep.name}-always-1") == "running", 15, watcher.text)
    time.sleep(2)
    assert state(f"{dep.name}-never-1") == "exited"
    code = watcher.interrupt()
    assert code == 130, watcher.text()
    loop_plan_empty(dep)


CRASH = """
name: @P@
services:
  crashy:
    image: busybox:local
    command: ["sh", "-c", "sleep 0.3; exit 3"]
    restart: on-failure:1
"""


def test_crash_loop_backs_off(dep: Deployment, start: Callable[..., Watcher]) -> None:
    """A container that keeps failing is restarted a few times, then backed off."""
    dep.write(CRASH)
    dep.up()
    watcher = start(dep, "reconcile", "--debounce", "100")
    watcher.wait_for("backing off", 120)
    text = watcher.text()
    assert "crash-looping" in text
    starts_at_backoff = text.split("backing off", 1)[0].count("Started")
    time.sleep(3)
    # Within the first back-off (5 s) the loop starts nothing more.
    text = watcher.text()
    assert text.count("Started") == starts_at_backoff, text
    code = watcher.interrupt()
    assert code == 130, watcher.text()
    dep.write(CRASH.replace('["sh", "-c", "sleep 0.3; exit 3"]', "sleep 3600"))
    dep.up()
    dep.assert_converged()


def test_reconcile_once_exit_codes(dep: Deployment) -> None:
    """`reconcile --once`: 0 when converged, 2 after repairing drift."""
    dep.write(POLICIES)
    dep.up()
    assert dep.run("reconcile", "--once").returncode == 0
    docker.from_env().api.remove_container(f"{dep.name}-always-1", force=True)
    proc = dep.run("reconcile", "--once", ok=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert state(f"{dep.name}-always-1") == "running"
    dep.assert_converged()
