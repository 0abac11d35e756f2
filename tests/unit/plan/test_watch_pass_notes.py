"""A watch pass that leaves a stopped container alone says so and why."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from planstates import actual, container, desired

from composer.engine.observe import Actual
from composer.engine.report import NullReporter
from composer.errors import ComposerError
from composer.plan import Plan
from composer.watch import loop as loop_module
from composer.watch.loop import Loop


class _Reporter:
    apply_reporter = NullReporter()

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.finished_plans: list[Plan] = []

    def started(self, number: int, reasons: Sequence[str]) -> None:
        pass

    def invalid(self, error: ComposerError) -> None:
        pass

    def planned(self, plan: Plan) -> None:
        pass

    def note(self, text: str) -> None:
        self.notes.append(text)

    def finished(self, plan: Plan, elapsed: float, error: ComposerError | None) -> None:
        self.finished_plans.append(plan)


@pytest.mark.parametrize(
    ("restart", "code", "note"),
    [
        (
            None,
            0,
            "container app-web-1 completed (exit code 0) and its restart "
            "policy is no: left stopped; `composer up` starts it",
        ),
        ("on-failure", 0, "restart policy is on-failure: left stopped"),
        (
            None,
            137,
            "container app-web-1 exited with code 137 and its restart "
            "policy is no: left stopped",
        ),
    ],
)
def test_a_pass_explains_what_it_leaves_stopped(
    monkeypatch: pytest.MonkeyPatch, restart: str | None, code: int, note: str
) -> None:
    service: dict[str, Any] = {"command": ["sleep", "3600"]}
    if restart:
        service["restart"] = restart
    state = desired({"web": service})
    stopped = container(state, "web", status="exited", exit_code=code)
    observed: Actual = actual(state, (stopped,))
    monkeypatch.setattr(loop_module, "observe", lambda _e, _p: observed)
    reporter = _Reporter()
    loop = Loop(None, lambda: None, reporter)  # type: ignore[arg-type]
    result = loop._converge(state, initial=False, quiet=False, began=0.0)
    assert result.plan is not None and result.plan.empty
    assert any(note in n for n in reporter.notes), reporter.notes
    quiet = _Reporter()
    Loop(None, lambda: None, quiet)._converge(state, False, True, 0.0)  # type: ignore[arg-type]
    assert not [n for n in quiet.notes if "left stopped" in n]
