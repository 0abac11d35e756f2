"""A start refused for a stale containerd task recreates the container."""

from __future__ import annotations

from typing import Any

import pytest

from composer.engine import operations
from composer.engine.operations import StepContext, run_step
from composer.engine.report import NullReporter
from composer.errors import EngineError
from composer.plan.model import Action, Kind, Step

STALE = "start container abc: task abc: already exists"


class FakeEngine:
    """Refuses every start with ``refusal``."""

    def __init__(self, refusal: str) -> None:
        self.refusal = refusal
        self.started: list[str] = []

    def start(self, ident: str) -> None:
        self.started.append(ident)
        raise EngineError(self.refusal)


def _context(engine: FakeEngine) -> StepContext:
    fake: Any = engine
    desired: Any = None
    return StepContext(fake, desired, {}, NullReporter())


STEP = Step(Action.START, Kind.CONTAINER, "p-web-1", "stopped", "web", 1, "abc")


def test_a_stale_task_recreates_the_container(monkeypatch: pytest.MonkeyPatch) -> None:
    recreated: list[Step] = []

    def recreate(ctx: StepContext, step: Step) -> str:
        recreated.append(step)
        return "new"

    monkeypatch.setattr(operations, "_recreate", recreate)
    assert run_step(_context(FakeEngine(STALE)), STEP) == "new"
    assert recreated == [STEP]


def test_another_refusal_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(operations, "_recreate", lambda ctx, step: pytest.fail())
    with pytest.raises(EngineError, match="port is already allocated"):
        run_step(
            _context(FakeEngine("start container abc: port is already allocated")), STEP
        )
