"""Render plans for people (a coloured ``+ ~ -`` view) and for machines."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from composer.cli.text import container_lines
from composer.plan.model import Action, Plan

if TYPE_CHECKING:
    from composer.engine.observe import ObservedContainer

_STYLE = {
    Action.CREATE: "green",
    Action.REMOVE: "red",
    Action.RECREATE: "yellow",
    Action.START: "cyan",
    Action.RESTART: "cyan",
    Action.STOP: "magenta",
    Action.BUILD: "blue",
    Action.PULL: "blue",
    Action.UPDATE: "yellow",
}


def make_console(stderr: bool = False) -> Console:
    """A console for composer's lines; off a terminal it never wraps them.

    rich wraps at 80 columns when it cannot ask a terminal; piped output and
    CI logs should keep each line whole instead.
    """
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.soft_wrap = True
    return console


def blocked(plan: Plan) -> str:
    """Why a plan with problems cannot be applied, as one message."""
    lines = [
        *plan.problems,
        "nothing was changed: the plan cannot run until this is fixed",
    ]
    return "\n".join(lines)


def render_warnings(plan: Plan, console: Console) -> None:
    """The plan's warnings, one line each."""
    for warning in plan.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")


def render_plan(plan: Plan, console: Console) -> None:
    """Print one line per step with its changed fields indented below.

    A plan with problems cannot run: its problems are printed instead of its
    steps.
    """
    render_warnings(plan, console)
    if plan.problems:
        for problem in plan.problems:
            console.print(f"[red]error:[/] {escape(problem)}")
        console.print(
            f"project {escape(plan.project)}: the plan cannot run until "
            f"{'this is' if len(plan.problems) == 1 else 'these are'} fixed",
            highlight=False,
        )
        return
    if plan.empty:
        console.print(f"project {escape(plan.project)}: no changes")
        return
    for step in plan.steps:
        style = _STYLE.get(step.action, "")
        head = (
            f"[{style}]{step.action.symbol} {step.action.value} {step.kind.value} "
            f"{escape(step.name)}[/]: {escape(step.reason)}"
        )
        console.print(head, highlight=False)
        for diff in step.diffs:
            mark = {"added": "+", "removed": "-"}.get(diff.change, "~")
            console.print(f"    {mark} {escape(diff.describe())}", highlight=False)
    counts: dict[str, int] = {}
    for step in plan.steps:
        counts[step.action.value] = counts.get(step.action.value, 0) + 1
    summary = ", ".join(f"{n} to {a}" for a, n in counts.items())
    console.print(f"project {escape(plan.project)}: {summary}", highlight=False)


def render_containers(
    containers: Iterable[ObservedContainer], console: Console
) -> None:
    """One line per container, as Compose lists them after an ``up``."""
    for line in container_lines(containers):
        console.print(escape(line), highlight=False)


def plan_json(plan: Plan) -> str:
    """The plan as the JSON documented in docs/plan-json.md."""
    return json.dumps(plan.to_json(), indent=2)
