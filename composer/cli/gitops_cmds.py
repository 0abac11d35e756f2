"""`composer plan --out`, `composer apply PLANFILE` and `composer sync`.

``apply`` exits 1 with a message when the saved plan is stale: the files or
the live state changed since it was made, or planning again differs.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from typing import Annotated, Any

import typer
from rich.console import Console

from composer.cli.app import app, global_options
from composer.cli.pipeline import hasher, prepare
from composer.cli.progress import make_reporter
from composer.cli.render import plan_json, render_plan
from composer.engine.apply import ApplyOptions
from composer.engine.lease import DEFAULT_TIMEOUT
from composer.engine.observe import Actual
from composer.errors import ApplyError, ExitCode
from composer.gitops.masking import mask_plan, secrets_of
from composer.gitops.saved import (
    SavedOptions,
    check,
    files_digest,
    read_saved,
    save,
    state_fingerprint,
)
from composer.plan import Plan, PlanOptions, plan
from composer.watch.converge import up_locked

ShowValues = Annotated[
    bool, typer.Option("--show-values", help="Show secret values in the output.")
]
LockTimeout = Annotated[
    float,
    typer.Option("--lock-timeout", help="Seconds to wait for another writer's lease."),
]


def _plan_options(saved: SavedOptions) -> PlanOptions:
    return PlanOptions(
        force_recreate=saved.force_recreate,
        no_recreate=saved.no_recreate,
        remove_orphans=saved.remove_orphans,
        hasher=hasher(),
    )


@app.command("plan")
def plan_cmd(
    ctx: typer.Context,
    services: Annotated[
        list[str] | None, typer.Argument(help="Services (with their dependencies).")
    ] = None,
    out: Annotated[
        str | None, typer.Option("--out", help="Write the saved plan to this file.")
    ] = None,
    output: Annotated[
        str, typer.Option("--format", help="Output: text or json.")
    ] = "text",
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 2 when the plan is not empty.")
    ] = False,
    remove_orphans: Annotated[bool, typer.Option("--remove-orphans")] = False,
    force_recreate: Annotated[bool, typer.Option("--force-recreate")] = False,
    no_recreate: Annotated[bool, typer.Option("--no-recreate")] = False,
    show_values: ShowValues = False,
) -> None:
    """Show the plan and save it, with what it was made against, for `apply`."""
    opts = global_options(ctx)
    saved = SavedOptions(
        tuple(services or ()), remove_orphans, force_recreate, no_recreate
    )
    state = prepare(opts, saved.services)
    the_plan = plan(state.desired, state.actual, _plan_options(saved))
    secrets = secrets_of(state.project)
    if out is not None:
        content = save(
            mask_plan(the_plan, secrets),
            state.actual,
            files_digest(state.project),
            saved,
        )
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(content)
    shown = mask_plan(the_plan, secrets, show_values)
    if output == "json":
        sys.stdout.write(plan_json(shown) + "\n")
    else:
        render_plan(shown, Console(highlight=False))
        if out is not None:
            Console(stderr=True).print(f"plan saved to {out}", highlight=False)
    if the_plan.problems:
        raise typer.Exit(ExitCode.FAILED)
    if exit_code and not the_plan.empty:
        raise typer.Exit(ExitCode.CHANGES)


@app.command("apply")
def apply_cmd(
    ctx: typer.Context,
    planfile: Annotated[str, typer.Argument(help="A plan saved by `plan --out`.")],
    lock_timeout: LockTimeout = DEFAULT_TIMEOUT,
    show_values: ShowValues = False,
) -> None:
    """Apply exactly a saved plan; refuse it when the files or live state changed."""
    opts = global_options(ctx)
    data = read_saved(planfile)
    saved = SavedOptions.from_json(data.get("options") or {})
    state = prepare(opts, saved.services)
    if state.project.name != data.get("project"):
        raise ApplyError(
            f"{planfile} is a plan for project {data.get('project')}, "
            f"not {state.project.name}"
        )
    secrets = secrets_of(state.project)
    files = files_digest(state.project)
    plan_options = _plan_options(saved)

    def verify(fresh: Plan, actual: Actual) -> Plan:
        # Checked again under the lease, on the state that will be changed.
        check(
            data,
            state=state_fingerprint(actual),
            files=files,
            plan=mask_plan(fresh, secrets),
        )
        return fresh

    the_plan = verify(plan(state.desired, state.actual, plan_options), state.actual)
    console = Console(highlight=False)
    render_plan(mask_plan(the_plan, secrets, show_values), console)
    if the_plan.problems:
        raise ApplyError("; ".join(the_plan.problems))
    if the_plan.empty:
        return
    reporter = make_reporter(opts.progress, Console(stderr=True))
    scope: AbstractContextManager[Any] = (
        reporter if isinstance(reporter, AbstractContextManager) else nullcontext()
    )
    with scope:
        up_locked(
            state.engine,
            state.desired,
            the_plan,
            plan_options,
            ApplyOptions(parallel=opts.parallel or 0, hasher=plan_options.hasher),
            reporter,
            lock_timeout,
            verify,
        )
