"""How plans, errors and containers are printed, without an engine."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from composer.cli.progress import PlainReporter
from composer.cli.render import blocked, make_console, render_containers, render_plan
from composer.cli.watch_cmds import ConsolePasses
from composer.engine.observe import ObservedContainer
from composer.engine.report import Event, NullReporter, Status
from composer.errors import ApplyError
from composer.plan.model import Action, FieldDiff, Kind, Plan, Step

PROBLEM = "network edge declared as external, but could not be found"
STEP = Step(Action.CREATE, Kind.CONTAINER, "p-web-1", "not found", "web")


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=80, highlight=False, no_color=True), out


def test_a_plan_with_problems_shows_them_instead_of_its_steps() -> None:
    """The steps of a plan that cannot run are not printed."""
    console, out = _console()
    render_plan(Plan("p", steps=(STEP,), problems=(PROBLEM,)), console)
    assert out.getvalue().splitlines() == [
        f"error: {PROBLEM}",
        "project p: the plan cannot run until this is fixed",
    ]
    assert blocked(Plan("p", problems=(PROBLEM,))) == (
        f"{PROBLEM}\nnothing was changed: the plan cannot run until this is fixed"
    )


def test_containers_are_listed_with_service_and_state() -> None:
    """After "no changes", one aligned line per container, sorted by name."""
    console, out = _console()
    containers = [
        ObservedContainer("2", "p-web-1", "web", 1, "running", "i", health="healthy"),
        ObservedContainer("1", "p-db-1", "db", 1, "exited", "i"),
    ]
    render_containers(containers, console)
    assert out.getvalue().splitlines() == [
        "  container p-db-1   service db   Exited",
        "  container p-web-1  service web  Running (healthy)",
    ]


def test_off_a_terminal_lines_are_not_wrapped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Piped output keeps a plan line longer than 80 columns whole."""
    long = "x" * 150
    step = Step(
        Action.RECREATE,
        Kind.CONTAINER,
        "p-web-1",
        "configuration changed",
        "web",
        diffs=(FieldDiff("labels.note", "a", long),),
    )
    console = make_console()
    assert not console.is_terminal
    render_plan(Plan("p", steps=(step,)), console)
    lines = capsys.readouterr().out.splitlines()
    assert f'    ~ labels.note: "a" -> "{long}"' in lines


def test_failed_step_line_leaves_the_error_to_the_end() -> None:
    """The progress line of a failed step says only that it failed."""
    out = io.StringIO()
    PlainReporter(out).event(
        Event("image", "x:1", Status.FAILED, "pull of image x:1 failed: boom", 0.5)
    )
    assert out.getvalue() == "Image x:1  failed  0.5s\n"


def test_watch_pass_prints_a_blocked_plans_error_once() -> None:
    """A watch pass whose plan cannot run says its error with the plan only."""
    console, out = _console()
    passes = ConsolePasses(console, NullReporter())
    passes.planned(Plan("p", steps=(STEP,), problems=(PROBLEM,)))
    passes.finished(Plan("p"), 0.1, ApplyError(PROBLEM))
    assert out.getvalue().count(PROBLEM) == 1
    assert out.getvalue().splitlines()[-1] == "pass failed: nothing was changed"
    passes.finished(Plan("p"), 0.1, ApplyError("another failure"))
    assert out.getvalue().splitlines()[-1] == "pass failed: another failure"
