"""What `composer up` does once its options are read, without typer.

The typer command in ``reconcile_cmds`` and the quick path of
``composer.cli.fast`` both call ``run_up``; only the typer command can add
``--watch`` afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from composer.cli.context import GlobalOptions
from composer.cli.pipeline import hasher, load, observe_early, prepare, target_of
from composer.cli.text import container_lines, write_lines
from composer.engine import LOCK_TIMEOUT
from composer.errors import ApplyError
from composer.plan import PlanOptions, plan
from composer.plan.images import ImageOptions


@dataclass(frozen=True)
class UpRequest:
    """`up`'s own options, checked and converted."""

    services: tuple[str, ...] = ()
    force_recreate: bool = False
    no_recreate: bool = False
    no_deps: bool = False
    scale: Mapping[str, int] = field(default_factory=dict)
    remove_orphans: bool = False
    wait: bool = False
    wait_timeout: float | None = None
    timeout: int | None = None
    lock_timeout: float = LOCK_TIMEOUT
    #: None: the defaults (build when missing, pull by each service's policy).
    images: ImageOptions | None = None
    show_values: bool = False
    target: str | None = None


def progress_scope(progress: str) -> tuple[Any, AbstractContextManager[Any]]:
    """The apply reporter for ``--progress`` and the scope it runs in."""
    from composer.cli.progress import make_reporter
    from composer.cli.render import make_console

    reporter = make_reporter(progress, make_console(stderr=True))
    scope: AbstractContextManager[Any] = (
        reporter if isinstance(reporter, AbstractContextManager) else nullcontext()
    )
    return reporter, scope


def run_up(opts: GlobalOptions, request: UpRequest) -> bool:
    """Plan, print the plan, apply it; False when a swarm target took it."""
    early = observe_early(opts, request.target)
    project = load(opts, request.services)
    if target_of(project, request.target) == "swarm":
        if early is not None:  # only the file said swarm
            early.discard()
        from composer.cli.swarm_cmds import SwarmRequest, swarm_up

        swarm_up(
            project,
            SwarmRequest(
                request.services,
                request.remove_orphans,
                request.wait,
                request.wait_timeout,
                request.lock_timeout,
                request.show_values,
            ),
            opts,
        )
        return False
    state = prepare(
        opts, request.services, request.scale, request.no_deps, project, early
    )
    compose_hash = hasher()
    plan_options = PlanOptions(
        request.force_recreate,
        request.no_recreate,
        request.remove_orphans,
        compose_hash,
        request.images or ImageOptions(),
    )
    the_plan = plan(state.desired, state.actual, plan_options)
    wanted = state.desired.services
    mine = [c for c in state.actual.containers if c.service in wanted and not c.oneoff]
    if the_plan.empty and not (the_plan.problems or the_plan.warnings or request.wait):
        # Nothing to mask, show in colour or apply: the quick, rich-free answer.
        write_lines([f"project {the_plan.project}: no changes", *container_lines(mine)])
        return True
    from composer.cli.render import (
        blocked,
        make_console,
        render_containers,
        render_plan,
        render_warnings,
    )
    from composer.gitops.masking import mask_plan, masked_reporter, secrets_of

    secrets = secrets_of(state.project)
    shown = mask_plan(the_plan, secrets, request.show_values)
    if the_plan.problems:  # said once, by the error; no plan that cannot run
        render_warnings(shown, make_console(stderr=True))
        raise ApplyError(blocked(shown))
    console = make_console()
    render_plan(shown, console)
    if the_plan.empty and not request.wait:
        render_containers(mine, console)
        return True
    from composer.engine.apply import ApplyOptions  # the Docker SDK comes with it
    from composer.watch.converge import up_locked

    reporter, scope = progress_scope(opts.progress)
    with scope:
        up_locked(  # under the project's lease, on freshly observed state
            state.engine,
            state.desired,
            the_plan,
            plan_options,
            ApplyOptions(
                parallel=opts.parallel or 0,
                stop_timeout=request.timeout,
                wait=request.wait,
                wait_timeout=request.wait_timeout,
                hasher=compose_hash,
            ),
            masked_reporter(reporter, secrets, request.show_values),
            request.lock_timeout,
        )
    return True
