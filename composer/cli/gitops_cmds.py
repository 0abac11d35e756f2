"""`composer plan --out`, `composer apply PLANFILE` and `composer sync`.

``apply`` exits 1 with a message when the saved plan is stale: the files or
the live state changed since it was made, or planning again differs.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Annotated, Any

import typer

from composer.cli.app import app, global_options
from composer.cli.options import (
    ExitCodeFlag,
    ForceRecreate,
    LockTimeout,
    NoRecreate,
    OutputFormat,
    RemoveOrphans,
    ServicesWithDeps,
    ShowValues,
)
from composer.cli.pipeline import hasher, prepare
from composer.engine import LOCK_TIMEOUT
from composer.engine.observe import Actual
from composer.engine.report import Reporter
from composer.errors import ApplyError, ComposerError, ExitCode
from composer.graph import Desired
from composer.plan import Plan, PlanOptions, plan
from composer.spec import load_project
from composer.spec.project import Project

if TYPE_CHECKING:
    from rich.console import Console

    from composer.gitops.saved import SavedOptions
    from composer.gitops.sync import SyncResult


def _plan_options(saved: SavedOptions) -> PlanOptions:
    return PlanOptions(
        force_recreate=saved.force_recreate,
        no_recreate=saved.no_recreate,
        remove_orphans=saved.remove_orphans,
        hasher=hasher(),
    )


def _images(desired: Desired) -> set[str]:
    return {node.image for node in desired.services.values()}


@app.command("plan")
def plan_cmd(
    ctx: typer.Context,
    services: ServicesWithDeps = None,
    out: Annotated[
        str | None, typer.Option("--out", help="Write the saved plan to this file.")
    ] = None,
    output: OutputFormat = "text",
    exit_code: ExitCodeFlag = False,
    remove_orphans: RemoveOrphans = False,
    force_recreate: ForceRecreate = False,
    no_recreate: NoRecreate = False,
    show_values: ShowValues = False,
) -> None:
    """Show the plan and save it, with what it was made against, for `apply`."""
    from composer.cli.render import make_console, plan_json, render_plan
    from composer.gitops.masking import mask_plan, secrets_of
    from composer.gitops.saved import (
        SavedOptions,
        files_digest,
        save,
        state_fingerprint,
    )

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
            state_fingerprint(state.actual, _images(state.desired)),
            files_digest(state.project),
            saved,
        )
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(content)
    shown = mask_plan(the_plan, secrets, show_values)
    if output == "json":
        sys.stdout.write(plan_json(shown) + "\n")
    else:
        render_plan(shown, make_console())
        if out is not None:
            make_console(stderr=True).print(f"plan saved to {out}")
    if the_plan.problems:
        raise typer.Exit(ExitCode.FAILED)
    if exit_code and not the_plan.empty:
        raise typer.Exit(ExitCode.CHANGES)


@app.command("apply")
def apply_cmd(
    ctx: typer.Context,
    planfile: Annotated[str, typer.Argument(help="A plan saved by `plan --out`.")],
    lock_timeout: LockTimeout = LOCK_TIMEOUT,
    show_values: ShowValues = False,
) -> None:
    """Apply exactly a saved plan; refuse it when the files or live state changed."""
    from composer.cli.progress import make_reporter
    from composer.cli.render import blocked, make_console, render_plan
    from composer.engine.apply import ApplyOptions
    from composer.gitops.masking import mask_plan, masked_reporter, secrets_of
    from composer.gitops.saved import (
        SavedOptions,
        check,
        files_digest,
        read_saved,
        state_fingerprint,
    )
    from composer.watch.converge import up_locked

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
            state=state_fingerprint(actual, _images(state.desired)),
            files=files,
            plan=mask_plan(fresh, secrets),
        )
        return fresh

    the_plan = verify(plan(state.desired, state.actual, plan_options), state.actual)
    shown = mask_plan(the_plan, secrets, show_values)
    if the_plan.problems:  # said once, by the error; no plan that cannot run
        raise ApplyError(blocked(shown))
    console = make_console()
    render_plan(shown, console)
    if the_plan.empty:
        return
    reporter = make_reporter(opts.progress, make_console(stderr=True))
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
            masked_reporter(reporter, secrets, show_values),
            lock_timeout,
            verify,
        )


class ConsoleSync:
    """Shows each ``sync`` iteration and hands its result to ``--on-change``."""

    def __init__(
        self, console: Console, apply_reporter: Reporter, on_change: str | None
    ) -> None:
        self.console = console
        self.apply_reporter = apply_reporter
        self.on_change = on_change

    def planned(self, commit: str, plan: Plan, trigger: str = "commit") -> None:
        """Print the plan for a commit, saying what triggered the pass."""
        from composer.cli.render import render_plan

        doing = _DOING.get(trigger, "applying")
        self.console.print(f"commit {commit[:12]}: {doing}", highlight=False)
        render_plan(plan, self.console)

    def result(self, result: SyncResult) -> None:
        """Print the outcome; run the notification after an apply."""
        from rich.markup import escape

        from composer.gitops.sync import notify

        when = time.strftime("%H:%M:%S")
        line = f"[{when}] commit {result.commit[:12]}: {result.status}"
        line += _WHY.get(result.trigger, "")
        if result.deployed and result.deployed != result.commit:
            line += f" (commit {result.deployed[:12]} stays deployed)"
        self.console.print(escape(line), highlight=False)
        if result.error:
            self.console.print(f"[red]{escape(result.error)}[/]")
        if self.on_change and result.status in ("applied", "failed"):
            notify(self.on_change, result)


#: What a pass does, by what triggered it (see SyncResult.trigger).
_DOING = {
    "commit": "new commit, applying",
    "check": "periodic check found drift, converging",
    "drift": "engine drift, converging",
}
_WHY = {
    "commit": " (new commit)",
    "check": " (periodic check, no new commit)",
    "drift": " (engine drift)",
}


def duration_seconds(text: str) -> float:
    """Seconds in a duration such as ``60s``, ``5m``, ``1h``, ``250ms`` or ``12``."""
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    for unit in ("ms", "s", "m", "h"):
        if text.endswith(unit) and text[: -len(unit)].replace(".", "", 1).isdigit():
            return float(text[: -len(unit)]) * units[unit]
    if text.replace(".", "", 1).isdigit():
        return float(text)
    raise typer.BadParameter(f"expected a duration such as 60s or 5m, got {text!r}")


def _default_cache() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "composer", "sync")


_EXIT = {
    "applied": ExitCode.CHANGES,
    "unchanged": ExitCode.OK,
    "invalid": ExitCode.INVALID,
    "refused": ExitCode.FAILED,
    "failed": ExitCode.FAILED,
}


@app.command("sync")
def sync_cmd(
    ctx: typer.Context,
    repo: Annotated[str, typer.Argument(help="A git repository: path or URL.")],
    ref: Annotated[str, typer.Option("--ref", help="Branch, tag or commit.")] = "main",
    path: Annotated[
        str, typer.Option("--path", help="Directory of the project in the repo.")
    ] = ".",
    interval: Annotated[
        str, typer.Option("--interval", help="Time between fetches (60s, 5m).")
    ] = "60s",
    allow_empty: Annotated[
        bool,
        typer.Option("--allow-empty", help="Allow a commit that removes everything."),
    ] = False,
    on_change: Annotated[
        str | None,
        typer.Option(
            "--on-change",
            help="Command (JSON on stdin) or http(s) URL (POSTed) after an apply.",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="One iteration; exit 0 unchanged, 2 applied.")
    ] = False,
    cache: Annotated[
        str | None, typer.Option("--cache", help="Where to keep the clone.")
    ] = None,
    lock_timeout: LockTimeout = LOCK_TIMEOUT,
    show_values: ShowValues = False,
) -> None:
    """Follow a git ref: deploy each new commit and keep it converged."""
    from rich.markup import escape

    from composer.cli.progress import make_reporter
    from composer.cli.render import make_console
    from composer.cli.watch_cmds import stop_on_signals
    from composer.engine.apply import ApplyOptions
    from composer.engine.client import Engine
    from composer.gitops.follow import Follower, FollowOptions
    from composer.gitops.git import Checkout
    from composer.gitops.sync import Syncer, SyncOptions

    opts = global_options(ctx)
    seconds = duration_seconds(interval)
    if os.path.exists(repo):
        repo = os.path.abspath(repo)
    checkout = Checkout(repo, ref, os.path.abspath(cache or _default_cache()))
    console = make_console()
    errors = make_console(stderr=True)
    apply_reporter = make_reporter(
        "plain" if opts.progress == "auto" else opts.progress, errors
    )
    compose_hash = hasher()

    def load_dir(directory: str) -> Project:
        options = dataclasses.replace(opts.load_options(), cwd=directory)
        return load_project(options)

    engine = Engine()
    syncer = Syncer(
        engine,
        checkout,
        load_dir,
        ConsoleSync(console, apply_reporter, on_change),
        SyncOptions(
            path=path,
            allow_empty=allow_empty,
            show_values=show_values,
            lock_timeout=lock_timeout,
            plan_options=PlanOptions(
                remove_orphans=True, hasher=compose_hash, start_completed=False
            ),
            apply_options=ApplyOptions(
                parallel=opts.parallel or 0, hasher=compose_hash
            ),
        ),
    )
    if once:
        raise typer.Exit(_EXIT[syncer.iterate().status])

    def retry_later(exc: ComposerError) -> None:
        errors.print(f"[red]{escape(exc.render())}[/]; retrying in {interval}")

    follower = Follower(engine, syncer, FollowOptions(interval=seconds), retry_later)
    stop = threading.Event()
    restore = stop_on_signals(stop)
    try:
        follower.run(stop)
    finally:
        restore()
    raise typer.Exit(ExitCode.INTERRUPTED)
