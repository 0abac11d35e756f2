"""One writer per project against a real engine: concurrent `up`, lock timeout,
a SIGKILLed holder, and a lease that observe and `down` never see."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker
import pytest
from reconcile_support import COMPOSER, Deployment, sleepers
from test_watch import dep_fixture, ids, lease_exists, wait_until  # noqa: F401

from composer.cli.app import GlobalOptions
from composer.cli.pipeline import hasher, prepare
from composer.engine.apply import ApplyOptions, apply
from composer.engine.client import Engine
from composer.engine.labels import PREFIX
from composer.engine.lease import acquire, hold, read_holder
from composer.engine.observe import observe
from composer.errors import LockError
from composer.plan import PlanOptions, plan

pytestmark = pytest.mark.engine

FOUR = (
    """
name: @P@
services:
"""
    + "".join(
        f"""  s{i}:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
    networks: [front]
"""
        for i in range(4)
    )
    + "networks: {front: {}}\n"
)


def _up(dep: Deployment) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMPOSER, "--progress", "plain", "up", "-t", "0"],
        cwd=dep.path,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_four_concurrent_ups_apply_one_at_a_time(dep: Deployment) -> None:
    """Four `up` at once: all succeed, each object is created exactly once."""
    dep.write(FOUR)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: _up(dep), range(4)))
    for proc in results:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
    created = sum(p.stderr.count("Container ") for p in results)
    networks = sum(p.stderr.count("Network ") for p in results)
    assert created == 4, [p.stderr for p in results]
    assert networks == 1, [p.stderr for p in results]
    client = docker.from_env()
    label = {"label": f"com.docker.compose.project={dep.name}"}
    names = sorted(c.name for c in client.containers.list(all=True, filters=label))
    assert names == sorted(f"{dep.name}-s{i}-1" for i in range(4))
    assert len(client.networks.list(filters=label)) == 1
    assert not lease_exists(dep.name)
    dep.assert_converged()


def test_lock_timeout_names_the_holder(dep: Deployment) -> None:
    """A second writer gives up after --lock-timeout with exit 4 naming the holder."""
    dep.write(FOUR)
    engine = Engine()
    with hold(engine, dep.name, "test-holder"):
        began = time.monotonic()
        proc = dep.run("up", "-t", "0", "--lock-timeout", "1", ok=False)
        assert proc.returncode == 4, proc.stdout + proc.stderr
        assert time.monotonic() - began < 30
        assert "test-holder" in proc.stderr and f"pid {os.getpid()}" in proc.stderr
        shown = dep.run("lock").stdout
        assert "test-holder" in shown
    assert "not locked" in dep.run("lock").stdout
    dep.up()
    dep.assert_converged()


HOLDER = """
import sys, time
from composer.engine.client import Engine
from composer.engine.lease import acquire
acquire(Engine(), sys.argv[1], "doomed holder", ttl=3)
print("held", flush=True)
time.sleep(600)
"""


def test_sigkilled_holder_is_taken_over_after_ttl(dep: Deployment) -> None:
    """A holder killed with SIGKILL stops renewing; another writer takes over."""
    dep.write(FOUR)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, dep.name],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        time.sleep(4)  # past the TTL: the live holder must have renewed
        current = read_holder(Engine(), dep.name)
        assert current is not None and not current.expired()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        killed_at = time.monotonic()
        proc = dep.run("up", "-t", "0", "--lock-timeout", "30")
        assert "Traceback" not in proc.stderr
        assert time.monotonic() - killed_at < 30
    finally:
        if holder.poll() is None:
            holder.kill()
    assert not lease_exists(dep.name)
    dep.assert_converged()


def test_lease_is_invisible_to_observe_and_down(dep: Deployment) -> None:
    """The lease is no orphan, and `down` neither removes nor trips over it."""
    dep.write(FOUR)
    dep.up()
    engine = Engine()
    lease = acquire(engine, dep.name, "test")
    try:
        actual = observe(engine, dep.name)
        assert all("composer-lock" not in c.name for c in actual.containers)
        assert dep.plan().empty
        with pytest.raises(LockError):
            acquire(engine, dep.name, "second", timeout=0.5)
    finally:
        lease.release()
    dep.run("down", "-t", "0")
    assert not lease_exists(dep.name)
    wait_until(lambda: not ids(dep), 10)


def test_lease_never_counts_as_a_project_container(dep: Deployment) -> None:
    """An image committed from a project container passes on Compose labels.

    The lease preferring that image (a project image) takes another one and
    carries no Compose label value; a container with the lease label is left
    out of observe, `ps` and `down` even when it has the project's labels.
    """
    dep.write(sleepers("s0"))
    dep.up()
    client = docker.from_env()
    tag = f"{dep.name}-img:committed"
    client.containers.get(f"{dep.name}-s0-1").commit(*tag.split(":"))
    fake: Any = None
    try:
        engine = Engine()
        with hold(engine, dep.name, "test", images=[tag]) as lease:
            raw = client.api.inspect_container(lease.holder.container_id)
            labels = raw["Config"]["Labels"]
            assert not any(
                value for key, value in labels.items() if key.startswith(PREFIX)
            ), labels
            assert raw["Image"] != client.images.get(tag).id
            assert Engine().list_containers(dep.name) != []
            assert all(
                c["Id"] != lease.holder.container_id
                for c in Engine().list_containers(dep.name)
            )
        # A lease container that did inherit the project's labels.
        fake = client.containers.create(
            "busybox:local",
            ["true"],
            name=f"{dep.name}-inherited",
            labels={
                "com.docker.compose.project": dep.name,
                "com.docker.compose.service": "s0",
                "com.docker.compose.container-number": "2",
                "composer.lock": dep.name,
            },
        )
        names = [c.name for c in observe(engine, dep.name).containers]
        assert names == [f"{dep.name}-s0-1"]
        ps = dep.run("ps", "-a")
        assert "inherited" not in ps.stdout + ps.stderr
        dep.assert_converged()
        down = dep.run("down", "-t", "0")
        assert "inherited" not in down.stdout + down.stderr
        fake.reload()
        assert fake.status == "created"
    finally:
        if fake is not None:
            fake.remove(force=True)
        client.images.remove(tag)
    assert not lease_exists(dep.name)
    assert not ids(dep)


def test_apply_stops_at_the_next_step_once_the_lease_is_taken_over(
    dep: Deployment,
) -> None:
    """A writer whose lease another one took over changes nothing more."""
    dep.write(FOUR)
    engine = Engine()
    cwd = os.getcwd()
    os.chdir(dep.path)
    try:
        state = prepare(GlobalOptions(), ())
    finally:
        os.chdir(cwd)
    fresh = plan(state.desired, state.actual, PlanOptions(hasher=hasher()))
    steps: list[int] = []
    with hold(engine, dep.name, "test", ttl=3600) as lease:

        def guard() -> None:
            steps.append(1)
            if len(steps) == 2:
                # What a waiter does once the expiry has passed, then the
                # holder's next renewal finds its lease container gone.
                docker.from_env().containers.get(lease.holder.container_id).remove()
                assert not lease.renew_once()
            lease.check()

        options = ApplyOptions(parallel=1, guard=guard)
        with pytest.raises(LockError, match="another writer took it over"):
            apply(engine, state.desired, state.actual, fresh, None, options)
    # The network was created before the takeover; every container after it
    # was refused.
    label = {"label": f"com.docker.compose.project={dep.name}"}
    assert len(docker.from_env().networks.list(filters=label)) == 1
    assert len(steps) == 5
    assert not ids(dep)
    assert not lease_exists(dep.name)
    dep.up()
    dep.assert_converged()
