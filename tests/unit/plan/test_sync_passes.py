"""sync's passes say what triggered them and whether anything changed."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest
from planstates import actual, container, desired, project
from rich.console import Console

from composer.cli.gitops_cmds import ConsoleSync
from composer.engine.observe import Actual
from composer.engine.report import NullReporter
from composer.errors import ConfigError, Location
from composer.gitops import sync
from composer.gitops.sync import Syncer, SyncResult
from composer.plan import Plan
from composer.spec.project import Project
from composer.watch.converge import Outcome

SERVICES = {"web": {"command": ["sleep", "3600"], "restart": "always"}}


@dataclass
class _Checkout:
    commit: str = "a" * 40
    current: str = "a" * 40
    directory: str = "/srv/checkout"

    def update(self) -> str:
        self.current = self.commit
        return self.commit

    def switch(self, commit: str) -> None:
        self.current = commit


@dataclass
class _Seen:
    planned: list[tuple[str, str]] = field(default_factory=list)
    results: list[SyncResult] = field(default_factory=list)


class _Reporter:
    def __init__(self, seen: _Seen) -> None:
        self.seen = seen

    def planned(self, commit: str, plan: Plan, trigger: str = "commit") -> None:
        self.seen.planned.append((commit, trigger))

    def result(self, result: SyncResult) -> None:
        self.seen.results.append(result)


@pytest.fixture(name="world")
def world_fixture(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A project, an engine state the test edits, and an apply that converges."""
    state = desired(dict(SERVICES))
    world: dict[str, Any] = {
        "actual": actual(state, (container(state, "web"),)),
        "converge": True,
    }

    def observe(_engine: object, _name: str) -> Actual:
        return world["actual"]

    def up_locked(
        _e: object, d: Any, planned: Plan, *_a: object, **_k: object
    ) -> Outcome:
        before = world["actual"]
        if not world["converge"]:  # someone else converged it first
            world["actual"] = actual(state, (container(state, "web"),))
            return Outcome(Plan(planned.project), before, True)
        world["actual"] = actual(state, (container(state, "web"),))
        return Outcome(planned, before, False)

    monkeypatch.setattr(sync, "observe", observe)
    monkeypatch.setattr(sync, "up_locked", up_locked)
    world["state"] = state
    return world


def _syncer(checkout: _Checkout, seen: _Seen, bad: str = "b" * 40) -> Syncer:
    def load(_directory: str) -> Project:
        if checkout.current == bad:
            raise ConfigError.at("C102", "invalid YAML", Location("compose.yaml"))
        return project({k: dict(v) for k, v in SERVICES.items()}, name="app")

    return Syncer(None, checkout, load, _Reporter(seen))  # type: ignore[arg-type]


def _killed(world: dict[str, Any]) -> Actual:
    state = world["state"]
    dead = container(state, "web", status="exited", ident="c-dead")
    return actual(state, (dead,))


def test_a_periodic_check_that_changes_nothing_is_said_once(
    world: dict[str, Any],
) -> None:
    seen = _Seen()
    syncer = _syncer(_Checkout(), seen)
    first = syncer.iterate()
    assert (first.status, first.trigger) == ("unchanged", "commit")
    again = [syncer.iterate() for _ in range(3)]
    assert {(r.status, r.trigger) for r in again} == {("unchanged", "check")}
    assert [(r.status, r.trigger) for r in seen.results] == [("unchanged", "commit")]


def test_engine_events_that_change_nothing_print_nothing(world: dict[str, Any]) -> None:
    seen = _Seen()
    syncer = _syncer(_Checkout(), seen)
    syncer.iterate()
    seen.results.clear()
    heal = syncer.heal()
    assert heal is not None and heal.status == "unchanged"
    world["actual"] = _killed(world)
    world["converge"] = False  # planned again under the lease: nothing left
    heal = syncer.heal()
    assert heal is not None and heal.status == "unchanged"
    assert seen.results == []


def test_drift_healed_after_a_bad_commit_is_labelled_so(world: dict[str, Any]) -> None:
    seen = _Seen()
    checkout = _Checkout()
    syncer = _syncer(checkout, seen)
    syncer.iterate()
    world["actual"] = _killed(world)
    checkout.commit = "b" * 40
    result = syncer.iterate()
    assert result.status == "invalid"
    assert seen.planned == [("a" * 40, "check")]
    assert [(r.status, r.trigger) for r in seen.results][-1] == ("applied", "check")


def test_console_labels_say_what_triggered_the_pass() -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, no_color=True)
    reporter = ConsoleSync(console, NullReporter(), None)
    for trigger in ("commit", "check", "drift"):
        reporter.planned("a" * 40, Plan("app"), trigger)
        reporter.result(
            SyncResult("applied", "a" * 40, "app", "a" * 40, trigger=trigger)
        )
    text = out.getvalue()
    assert "new commit, applying" in text
    assert "periodic check found drift, converging" in text
    assert "engine drift, converging" in text
    assert "applied (new commit)" in text
    assert "applied (periodic check, no new commit)" in text
    assert "applied (engine drift)" in text
