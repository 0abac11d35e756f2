"""`composer up`, `diff` and `down`: plan, show, apply."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Annotated, Any

import typer

from composer.cli.app import app, global_options
from composer.cli.image_cmds import (
    BuildFlag,
    NoBuildFlag,
    PullFlag,
    RmiFlag,
    image_options,
    remove_images,
)
from composer.cli.options import (
    ExitCodeFlag,
    ForceRecreate,
    LockTimeout,
    NoDeps,
    NoRecreate,
    OutputFormat,
    RemoveOrphans,
    Scale,
    ServicesWithDeps,
    ShowValues,
    Target,
    Timeout,
)
from composer.cli.pipeline import hasher, load, parse_scale, prepare, target_of
from composer.cli.up_flow import UpRequest, run_up
from composer.cli.watch_cmds import run_watch, watch_options
from composer.engine import LOCK_TIMEOUT
from composer.errors import ExitCode
from composer.plan import DownOptions, PlanOptions, plan, plan_down

if TYPE_CHECKING:
    from rich.console import Console

    from composer.spec.project import Project


def _console(stderr: bool = False) -> Console:
    from composer.cli.render import make_console

    return make_console(stderr)


def _progress(ctx: typer.Context, console: Console) -> tuple[Any, Any]:
    from composer.cli.progress import make_reporter
    from composer.cli.render import make_console

    reporter = make_reporter(global_options(ctx).progress, make_console(stderr=True))
    scope: AbstractContextManager[Any] = (
        reporter if isinstance(reporter, AbstractContextManager) else nullcontext()
    )
    return reporter, scope


def _swarm(project: Project, target: str | None) -> bool:
    return target_of(project, target) == "swarm"


@app.command("up")
def up(
    ctx: typer.Context,
    services: ServicesWithDeps = None,
    detach: Annotated[
        bool, typer.Option("-d", "--detach", help="Accepted for compatibility.")
    ] = False,
    force_recreate: ForceRecreate = False,
    no_recreate: NoRecreate = False,
    no_deps: NoDeps = False,
    scale: Scale = None,
    remove_orphans: RemoveOrphans = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until services run and are healthy.")
    ] = False,
    wait_timeout: Annotated[
        float | None, typer.Option("--wait-timeout", min=0, help="Seconds for --wait.")
    ] = None,
    timeout: Timeout = None,
    lock_timeout: LockTimeout = LOCK_TIMEOUT,
    watch: Annotated[
        bool, typer.Option("--watch", help="Then keep watching (see `watch`).")
    ] = False,
    build: BuildFlag = False,
    no_build: NoBuildFlag = False,
    pull: PullFlag = None,
    show_values: ShowValues = False,
    target: Target = None,
) -> None:
    """Plan, print the plan, and apply it."""
    if force_recreate and no_recreate:
        raise typer.BadParameter("--force-recreate and --no-recreate conflict")
    request = UpRequest(
        services=tuple(services or ()),
        force_recreate=force_recreate,
        no_recreate=no_recreate,
        no_deps=no_deps,
        scale=parse_scale(scale),
        remove_orphans=remove_orphans,
        wait=wait,
        wait_timeout=wait_timeout,
        timeout=timeout,
        lock_timeout=lock_timeout,
        images=image_options(build, no_build, pull),
        show_values=show_values,
        target=target,
    )
    if run_up(global_options(ctx), request) and watch:
        run_watch(ctx, watch_options(ctx, lock_timeout, show_values))


@app.command("diff")
def diff(
    ctx: typer.Context,
    services: ServicesWithDeps = None,
    output: OutputFormat = "text",
    exit_code: ExitCodeFlag = False,
    force_recreate: ForceRecreate = False,
    no_recreate: NoRecreate = False,
    no_deps: NoDeps = False,
    scale: Scale = None,
    remove_orphans: RemoveOrphans = False,
    build: BuildFlag = False,
    no_build: NoBuildFlag = False,
    pull: PullFlag = None,
    show_values: ShowValues = False,
    target: Target = None,
) -> None:
    """Show what `up` would change, without changing anything."""
    from composer.cli.render import plan_json, render_plan
    from composer.gitops.masking import mask_plan, secrets_of

    opts = global_options(ctx)
    project = load(opts, tuple(services or ()))
    if _swarm(project, target):
        from composer.cli.swarm_cmds import SwarmRequest, swarm_diff

        request = SwarmRequest(
            tuple(services or ()), remove_orphans, show_values=show_values
        )
        swarm_diff(project, request, output, exit_code)
        return
    state = prepare(opts, tuple(services or ()), parse_scale(scale), no_deps, project)
    the_plan = plan(
        state.desired,
        state.actual,
        PlanOptions(
            force_recreate,
            no_recreate,
            remove_orphans,
            hasher(),
            image_options(build, no_build, pull),
        ),
    )
    the_plan = mask_plan(the_plan, secrets_of(state.project), show_values)
    if output == "json":
        sys.stdout.write(plan_json(the_plan) + "\n")
    else:
        render_plan(the_plan, _console())
    if the_plan.problems:
        raise typer.Exit(ExitCode.FAILED)
    if exit_code and not the_plan.empty:
        raise typer.Exit(ExitCode.CHANGES)


@app.command("down")
def down(
    ctx: typer.Context,
    volumes: Annotated[
        bool,
        typer.Option(
            "-v",
            "--volumes",
            help="Also remove the project's named and anonymous volumes "
            "(never external ones).",
        ),
    ] = False,
    remove_orphans: RemoveOrphans = False,
    timeout: Timeout = None,
    lock_timeout: LockTimeout = LOCK_TIMEOUT,
    rmi: RmiFlag = None,
    target: Target = None,
) -> None:
    """Remove the project's containers and networks (and volumes with -v)."""
    from rich.markup import escape

    from composer.engine.apply import ApplyOptions
    from composer.watch.converge import down_locked

    opts = global_options(ctx)
    project = load(opts)
    if _swarm(project, target):
        from composer.cli.swarm_cmds import swarm_down

        swarm_down(project, volumes, lock_timeout, opts)
        return
    state = prepare(opts, project=project)
    the_plan = plan_down(
        state.desired, state.actual, DownOptions(volumes, remove_orphans)
    )
    console = _console()
    for warning in the_plan.warnings:
        _console(stderr=True).print(f"[yellow]warning:[/] {escape(warning)}")
    if the_plan.empty:
        remove_images(state.engine, state.desired, rmi)
        return
    reporter, scope = _progress(ctx, console)
    with scope:
        down_locked(  # under the project's lease, on freshly observed state
            state.engine,
            state.desired,
            DownOptions(volumes, remove_orphans),
            ApplyOptions(
                parallel=opts.parallel or 0,
                stop_timeout=timeout,
                remove_volumes=volumes,
            ),
            reporter,
            lock_timeout,
        )
    remove_images(state.engine, state.desired, rmi)
