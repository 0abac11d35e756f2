"""Render plans for people (a coloured ``+ ~ -`` view) and for machines."""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape

from composer.plan.model import Action, Plan

_STYLE = {
    Action.CREATE: "green",
    Action.REMOVE: "red",
    Action.RECREATE: "yellow",
    Action.START: "cyan",
    Action.RESTART: "cyan",
    Action.STOP: "magenta",
    Action.BUILD: "blue",
    Action.PULL: "blue",
}


def render_plan(plan: Plan, console: Console) -> None:
    """Print one line per step with its changed fields indented below."""
    for warning in plan.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    for problem in plan.problems:
        console.print(f"[red]error:[/] {escape(problem)}")
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


def plan_json(plan: Plan) -> str:
    """The plan as the JSON documented in docs/plan-json.md."""
    return json.dumps(plan.to_json(), indent=2)
