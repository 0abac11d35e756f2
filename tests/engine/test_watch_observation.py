"""The loop's reused observation against a real engine (issue 5).

A no-op pass plans against the last observation while the event stream vouches
for it; a container removed behind the loop's back is still noticed, because
its events drop the observation and the pass they cause observes again.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import docker
import pytest
from reconcile_support import (  # noqa: F401
    Deployment,
    deployment_fixture,
    sleepers,
)

from composer.cli.pipeline import hasher
from composer.engine.apply import ApplyOptions
from composer.engine.client import Engine
from composer.plan import PlanOptions
from composer.spec import LoadOptions, load_project
from composer.spec.project import Project
from composer.watch.loop import Loop, LoopOptions
from composer.watch.report import NullPassReporter
from composer.watch.sources import Sources, project_sources

pytestmark = pytest.mark.engine


def _until(check: Callable[[], bool], timeout: float, why: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s: {why}")


def _age(path: Path) -> None:
    """Date the file back, so its content vouches for the loaded project."""
    past = time.time() - 60
    os.utime(path, (past, past))


def test_noop_pass_reuses_and_rm_f_is_still_healed(deployment: Deployment) -> None:
    deployment.write(sleepers("web", "db"))
    compose = deployment.path / "compose.yaml"
    _age(compose)
    deployment.up()
    options = LoadOptions(cwd=str(deployment.path), environ=dict(os.environ))

    def loader() -> tuple[Project, Sources]:
        project = load_project(options)
        return project, project_sources(project, options)

    compose_hash = hasher()
    engine = Engine()
    loop = Loop(
        engine,
        loader,
        NullPassReporter(),
        LoopOptions(
            debounce=0.2,
            interval=600,
            plan_options=PlanOptions(hasher=compose_hash, start_completed=False),
            apply_options=ApplyOptions(hasher=compose_hash),
        ),
    )
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    try:
        _until(lambda: loop.passes >= 1, 60, "no first pass")

        def touch_and_wait() -> None:
            # Same content: the loaded project stays, the pass is a no-op.
            before = loop.passes
            compose.write_text(compose.read_text())
            _age(compose)
            _until(lambda: loop.passes > before, 30, "no pass after a touch")

        # (a) A no-op pass reuses the observation.  Another agent's image
        # event may drop it on a shared engine, so a few tries are allowed.
        for _ in range(6):
            touch_and_wait()
            if loop.reused:
                break
        assert loop.reused >= 1, (loop.observed, loop.reused)

        # (b) docker rm -f behind the loop's back: noticed, observed, healed.
        client = docker.from_env()
        web = client.containers.get(f"{deployment.name}-web-1")
        observed = loop.observed
        web.remove(force=True)

        def healed() -> bool:
            try:
                again = client.containers.get(f"{deployment.name}-web-1")
            except docker.errors.NotFound:
                return False
            return again.id != web.id and again.status == "running"

        _until(healed, 60, "the removed container was not recreated")
        assert loop.observed > observed

        # The pass after that apply observes again rather than reuse.
        observed = loop.observed
        touch_and_wait()
        _until(lambda: loop.observed > observed, 10, "no observation after apply")
    finally:
        stop.set()
        thread.join(timeout=60)
        engine.close()
    assert not thread.is_alive()
    deployment.assert_converged()
