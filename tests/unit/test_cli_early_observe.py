"""With -p, observing runs while the files load, and is used for that name only."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import composer.cli.pipeline as pipeline
from composer.cli.context import GlobalOptions
from composer.errors import EngineError


class _Project:
    def __init__(self, name: str) -> None:
        self.name = name
        self.services: dict[str, Any] = {}


@pytest.fixture
def observed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []

    def observe(engine: object, name: str) -> str:
        names.append(name)
        return f"state of {name}"

    monkeypatch.setattr(pipeline, "connect", lambda: "engine")
    monkeypatch.setattr(pipeline, "observe", observe)
    monkeypatch.setattr(pipeline, "build_desired", lambda *a: "desired")
    return names


def test_the_early_observation_is_used_for_its_name(observed: list[str]) -> None:
    early = pipeline.observe_early(GlobalOptions(project_name="shop"))
    assert early is not None
    state = pipeline.prepare(
        GlobalOptions(project_name="shop"),
        project=_Project("shop"),  # type: ignore[arg-type]
        early=early,
    )
    assert state.actual == "state of shop"  # type: ignore[comparison-overlap]
    assert observed == ["shop"]


def test_another_name_is_observed_afresh(observed: list[str]) -> None:
    early = pipeline.observe_early(GlobalOptions(project_name="shop"))
    state = pipeline.prepare(
        GlobalOptions(),
        project=_Project("other"),
        early=early,  # type: ignore[arg-type]
    )
    assert state.actual == "state of other"  # type: ignore[comparison-overlap]
    assert sorted(observed) == ["other", "shop"]


def test_without_p_nothing_starts_early() -> None:
    assert pipeline.observe_early(GlobalOptions()) is None


def test_the_threads_engine_error_reaches_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse() -> None:
        raise EngineError("cannot reach the Docker engine")

    monkeypatch.setattr(pipeline, "connect", refuse)
    monkeypatch.setattr(pipeline, "build_desired", lambda *a: "desired")
    early = pipeline.observe_early(GlobalOptions(project_name="shop"))
    with pytest.raises(EngineError, match="cannot reach"):
        pipeline.prepare(
            GlobalOptions(),
            project=_Project("shop"),
            early=early,  # type: ignore[arg-type]
        )


def test_target_swarm_on_the_command_line_starts_nothing(
    observed: list[str],
) -> None:
    """--target swarm reads the swarm: no single-engine observe is started."""
    options = GlobalOptions(project_name="shop")
    assert pipeline.observe_early(options, "swarm") is None
    assert pipeline.observe_early(options, "engine") is not None


class _Engine:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_a_discarded_observation_closes_its_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """x-composer says swarm: the early read is dropped and its connection closed.

    Discarded after the thread is done or while it still runs, the engine is
    closed once and nothing is raised, not even the thread's error.
    """
    engines: list[_Engine] = []
    gate = threading.Event()

    def connect() -> _Engine:
        engines.append(_Engine())
        return engines[-1]

    def observe(engine: object, name: str) -> str:
        gate.wait(10)
        return "state"

    monkeypatch.setattr(pipeline, "connect", connect)
    monkeypatch.setattr(pipeline, "observe", observe)
    gate.set()
    finished = pipeline.observe_early(GlobalOptions(project_name="shop"))
    assert finished is not None
    finished._thread.join()
    finished.discard()
    gate.clear()
    running = pipeline.observe_early(GlobalOptions(project_name="shop"))
    assert running is not None
    running.discard()
    gate.set()
    running._thread.join()
    assert [e.closed for e in engines] == [1, 1]

    def refuse() -> None:
        raise EngineError("cannot reach the Docker engine")

    monkeypatch.setattr(pipeline, "connect", refuse)
    failed = pipeline.observe_early(GlobalOptions(project_name="shop"))
    assert failed is not None
    failed._thread.join()
    failed.discard()
