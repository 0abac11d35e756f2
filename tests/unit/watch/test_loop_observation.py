"""When a pass of the loop reuses its last observation, and when it observes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from composer.engine.observe import Actual
from composer.plan import Plan
from composer.plan.model import Action, Kind, Step
from composer.spec import LoadOptions, load_project
from composer.spec.project import Project
from composer.watch import loop as loop_module
from composer.watch.converge import Outcome
from composer.watch.loop import Loop
from composer.watch.observed import ObservationCache
from composer.watch.report import NullPassReporter
from composer.watch.sources import Sources, project_sources

COMPOSE = "name: cached\nservices:\n  web:\n    image: busybox:local\n"


class _Fake:
    """Stands in for the engine: counts observations, plans what it is told."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.observations = 0
        self.applies = 0
        self.steps: tuple[Any, ...] = ()
        monkeypatch.setattr(loop_module, "observe", self.observe)
        monkeypatch.setattr(loop_module, "plan", self.plan)
        monkeypatch.setattr(loop_module, "up_locked", self.up_locked)

    def observe(self, engine: object, project: str) -> Actual:
        self.observations += 1
        return Actual(project)

    def plan(self, desired: Any, actual: Actual, options: object) -> Plan:
        return Plan(actual.project, self.steps)

    def up_locked(self, engine: object, desired: Any, draft: Plan, *a: Any) -> Outcome:
        self.applies += 1
        self.steps = ()
        return Outcome(draft, Actual(desired.project), False)


def _loop(tmp_path: Path) -> tuple[Loop, ObservationCache]:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    options = LoadOptions(cwd=str(tmp_path), environ={})

    def loader() -> tuple[Project, Sources]:
        project = load_project(options)
        return project, project_sources(project, options)

    loop = Loop(None, loader, NullPassReporter())  # type: ignore[arg-type]
    cache = ObservationCache(None)
    cache.connected()  # as the event stream does once it is open
    loop._cache = cache
    return loop, cache


def test_a_warm_pass_reuses_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake = _Fake(monkeypatch)
    loop, _ = _loop(tmp_path)
    loop.run_pass(["start"], initial=True)
    assert fake.observations == 1
    with caplog.at_level(logging.DEBUG, logger="composer.watch.loop"):
        loop.run_pass(["something"])
        loop.run_pass(["something"])
    assert fake.observations == 1
    assert (loop.observed, loop.reused) == (1, 2)
    assert "reusing the observation of cached" in caplog.text


def test_the_periodic_and_back_off_passes_always_observe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _Fake(monkeypatch)
    loop, _ = _loop(tmp_path)
    loop.run_pass(["start"], initial=True)
    loop.run_pass(["periodic check"])
    loop.run_pass(["back-off ended"])
    assert fake.observations == 3
    loop.run_pass(["something"])
    assert fake.observations == 3


def test_an_event_makes_the_next_pass_observe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _Fake(monkeypatch)
    loop, cache = _loop(tmp_path)
    loop.run_pass(["start"], initial=True)
    cache.saw_raw(
        {
            "Type": "container",
            "Action": "destroy",
            "Actor": {
                "ID": "c1",
                "Attributes": {"com.docker.compose.project": "cached"},
            },
        }
    )
    loop.run_pass(["container cached-web-1 destroy"])
    assert fake.observations == 2
    loop.run_pass(["something"])
    assert fake.observations == 2


def test_a_lost_stream_makes_every_pass_observe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _Fake(monkeypatch)
    loop, cache = _loop(tmp_path)
    loop.run_pass(["start"], initial=True)
    cache.disconnected()
    loop.run_pass(["something"])
    loop.run_pass(["something"])
    assert fake.observations == 3


def test_the_pass_after_an_apply_observes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _Fake(monkeypatch)
    loop, _ = _loop(tmp_path)
    loop.run_pass(["start"], initial=True)
    fake.steps = (Step(Action.CREATE, Kind.NETWORK, "cached_x", "missing"),)
    loop.run_pass(["periodic check"])
    assert fake.applies == 1
    loop.run_pass(["something"])
    assert fake.observations == 3
    loop.run_pass(["something"])
    assert fake.observations == 3


def test_an_edit_that_changes_the_project_observes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _Fake(monkeypatch)
    loop, _ = _loop(tmp_path)
    loop.run_pass(["start"], initial=True)
    compose = tmp_path / "compose.yaml"
    compose.write_text(COMPOSE + "    environment: {V: '1'}\n")
    loop.run_pass(["compose.yaml changed"], {str(compose)})
    assert fake.observations == 2


def test_without_an_event_stream_every_pass_observes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _Fake(monkeypatch)
    loop, _ = _loop(tmp_path)
    loop._cache = None  # reconcile --once, or --no-follow
    loop.run_pass(["start"], initial=True)
    loop.run_pass(["something"])
    assert fake.observations == 2
