"""`up`, `diff` and `down` on a Docker Swarm (``--target swarm``).

The reconciling commands hand over here once the project is loaded and its
target is Swarm; the plan is rendered exactly as for a single engine.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console

from composer.cli.context import GlobalOptions
from composer.cli.pipeline import TARGETS, target_of  # noqa: F401
from composer.cli.render import plan_json, render_plan
from composer.errors import ApplyError, ExitCode
from composer.gitops.masking import mask_plan, secrets_of
from composer.plan.model import Plan
from composer.spec.project import Project


@dataclass(frozen=True)
class SwarmRequest:
    """What a swarm command was asked, beyond the loaded project."""

    services: tuple[str, ...] = ()
    remove_orphans: bool = False
    wait: bool = False
    wait_timeout: float | None = None
    lock_timeout: float | None = None
    show_values: bool = False


def _connect() -> Any:
    from composer.targets.swarm.client import SwarmEngine

    engine = SwarmEngine()
    engine.require_manager()
    return engine


def _plan(desired: Any, request: SwarmRequest, engine: Any) -> tuple[Any, Plan]:
    """Observe the swarm now and plan ``desired`` against it."""
    from composer.targets.swarm.observe import observe_swarm
    from composer.targets.swarm.planner import SwarmPlanOptions, plan_swarm

    actual = observe_swarm(engine, desired.project)
    options = SwarmPlanOptions(request.remove_orphans, request.services)
    return actual, plan_swarm(desired, actual, options)


def swarm_diff(
    project: Project, request: SwarmRequest, output: str, exit_code: bool
) -> None:
    """Print the Swarm plan; exit 2 with ``--exit-code`` when it is not empty."""
    desired = _desired_first(project, request)
    engine = _connect()
    _, the_plan = _plan(desired, request, engine)
    the_plan = mask_plan(the_plan, secrets_of(project), request.show_values)
    if output == "json":
        sys.stdout.write(plan_json(the_plan) + "\n")
    else:
        render_plan(the_plan, Console(highlight=False))
    if the_plan.problems:
        raise typer.Exit(ExitCode.FAILED)
    if exit_code and not the_plan.empty:
        raise typer.Exit(ExitCode.CHANGES)


def swarm_up(project: Project, request: SwarmRequest, options: GlobalOptions) -> None:
    """Plan, print, then apply under the project's lease on a fresh plan."""
    from composer.engine.lease import command_line, hold
    from composer.targets.swarm.apply import SwarmApplyOptions, apply_swarm

    desired = _desired_first(project, request)
    engine = _connect()
    _, the_plan = _plan(desired, request, engine)
    masked = mask_plan(the_plan, secrets_of(project), request.show_values)
    render_plan(masked, Console(highlight=False))
    if the_plan.problems:
        raise ApplyError("; ".join(the_plan.problems))
    if the_plan.empty and not request.wait:
        return
    reporter, scope = _progress(options)
    with (
        scope,
        hold(engine, project.name, command_line(), request.lock_timeout),
    ):
        actual, fresh = _plan(desired, request, engine)
        apply_swarm(
            engine,
            desired,
            actual,
            fresh,
            reporter,
            SwarmApplyOptions(request.wait, request.wait_timeout),
        )


def swarm_down(
    project: Project, volumes: bool, lock_timeout: float | None, options: GlobalOptions
) -> None:
    """Remove every service, network, secret and config the project owns."""
    from composer.engine.lease import command_line, hold
    from composer.targets.swarm.apply import SwarmApplyOptions, apply_swarm_down
    from composer.targets.swarm.observe import observe_swarm
    from composer.targets.swarm.planner import plan_swarm_down

    engine = _connect()
    if plan_swarm_down(observe_swarm(engine, project.name)).empty and not volumes:
        return
    reporter, scope = _progress(options)
    with scope, hold(engine, project.name, command_line(), lock_timeout):
        actual = observe_swarm(engine, project.name)
        apply_swarm_down(
            engine,
            actual,
            plan_swarm_down(actual),
            reporter,
            SwarmApplyOptions(remove_volumes=volumes),
        )


def _desired_first(project: Project, request: SwarmRequest) -> Any:
    """Build the desired state before connecting: bad input changes nothing."""
    from composer.targets.swarm.desired import build_swarm_desired

    return build_swarm_desired(project, request.services)


def _progress(options: GlobalOptions) -> tuple[Any, AbstractContextManager[Any]]:
    from composer.cli.progress import make_reporter

    reporter = make_reporter(options.progress, Console(stderr=True))
    scope: AbstractContextManager[Any] = (
        reporter if isinstance(reporter, AbstractContextManager) else nullcontext()
    )
    return reporter, scope
