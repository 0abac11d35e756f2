"""`composer watch`, `composer reconcile` and `composer lock`.

``reconcile --once`` exits like ``diff --exit-code``: 0 when nothing had to
change, 2 when the pass applied changes, 1 when applying failed, 3 when the
files are invalid, 4 when the lease could not be taken.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from composer.cli.app import app, global_options
from composer.cli.context import GlobalOptions
from composer.cli.options import (
    LockTimeout,
    OutputFormat,
    RemoveOrphans,
    ShowValues,
)
from composer.cli.pipeline import hasher
from composer.engine import LOCK_TIMEOUT
from composer.engine.report import Reporter
from composer.errors import ComposerError, ExitCode
from composer.plan import Plan, PlanOptions
from composer.spec import load_project
from composer.spec.project import Project

if TYPE_CHECKING:
    from rich.console import Console

    from composer.watch.sources import Sources

Debounce = Annotated[
    int, typer.Option("--debounce", help="Milliseconds of quiet before a pass.")
]
Interval = Annotated[
    float, typer.Option("--interval", help="Seconds between full safety passes.")
]


@dataclass(frozen=True)
class WatchSettings:
    """The watch loop's options as given on the command line."""

    debounce_ms: int = 200
    interval: float = 60.0
    lock_timeout: float = LOCK_TIMEOUT
    remove_orphans: bool = False
    watch_files: bool = True
    show_values: bool = False


def watch_options(
    ctx: typer.Context, lock_timeout: float = LOCK_TIMEOUT, show_values: bool = False
) -> WatchSettings:
    """Default watch settings (for ``up --watch``)."""
    return WatchSettings(lock_timeout=lock_timeout, show_values=show_values)


class ConsolePasses:
    """Shows each pass: why it ran, the plan, the result."""

    def __init__(self, console: Console, apply_reporter: Reporter) -> None:
        self.console = console
        self.apply_reporter = apply_reporter
        #: Hides secret values before a plan is shown (set once loaded).
        self.mask: Callable[[Plan], Plan] | None = None
        #: The problems of the last plan shown, already printed as errors.
        self.blocked: tuple[str, ...] = ()
        #: Hides secret values in free text (set once loaded).
        self.scrub: Callable[[str], str] = str

    def started(self, number: int, reasons: Sequence[str]) -> None:
        """Print the pass header."""
        from rich.markup import escape

        when = time.strftime("%H:%M:%S")
        why = ", ".join(reasons) or "start"
        self.console.print(f"[bold]\\[{when}] pass {number}[/]: {escape(why)}")

    def invalid(self, error: ComposerError) -> None:
        """Print the load error; nothing is changed."""
        from rich.markup import escape

        self.console.print(f"[red]{escape(self.scrub(error.render()))}[/]")
        self.console.print("[yellow]files are invalid: nothing changed[/]")

    def planned(self, plan: Plan) -> None:
        """Print the plan."""
        from composer.cli.render import render_plan

        self.blocked = tuple(plan.problems)
        render_plan(self.mask(plan) if self.mask else plan, self.console)

    def note(self, text: str) -> None:
        """Print a remark."""
        from rich.markup import escape

        self.console.print(f"[yellow]{escape(self.scrub(text))}[/]")

    def finished(self, plan: Plan, elapsed: float, error: ComposerError | None) -> None:
        """Print the outcome."""
        from rich.markup import escape

        blocked, self.blocked = self.blocked, ()
        said = error is not None and all(p in error.render() for p in blocked)
        if error is not None and blocked and said:  # printed with the plan
            self.console.print("[red]pass failed: nothing was changed[/]")
        elif error is not None:
            failed = self.scrub(error.render())
            self.console.print(f"[red]pass failed: {escape(failed)}[/]")
        elif plan.empty:
            self.console.print(f"no changes ({elapsed:.2f}s)")
        else:
            self.console.print(f"applied {len(plan.steps)} step(s) in {elapsed:.2f}s")


def _loader(opts: GlobalOptions) -> tuple[Project, Sources]:
    from composer.watch.sources import project_sources

    load_options = opts.load_options()
    project = load_project(load_options)
    return project, project_sources(project, load_options)


def stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Make Ctrl-C and SIGTERM end the loop between engine calls.

    The first signal only sets ``stop``, so a pass in flight finishes and
    releases the project's lease; a second one interrupts at once.  Returns a
    function that puts the previous handlers back.
    """

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {
        sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
    }

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def run_watch(ctx: typer.Context, settings: WatchSettings, once: bool = False) -> int:
    """Run the loop until interrupted; return the ``--once`` exit code."""
    from composer.cli.progress import make_reporter
    from composer.cli.render import make_console
    from composer.engine.apply import ApplyOptions
    from composer.engine.client import Engine
    from composer.gitops.masking import (
        CurrentSecrets,
        MaskedReporter,
        Secrets,
        mask_plan,
    )
    from composer.watch.loop import Loop, LoopOptions

    opts = global_options(ctx)
    console = make_console()
    apply_reporter = make_reporter(
        "plain" if opts.progress == "auto" else opts.progress, make_console(stderr=True)
    )
    engine = Engine()
    # An engine that does not answer fails the command at once, as every
    # other command does; once running, the loop outlives the engine's going.
    engine.ping()
    compose_hash = hasher()
    passes = ConsolePasses(console, apply_reporter)
    loop = Loop(
        engine,
        lambda: _loader(opts),
        passes,
        LoopOptions(
            debounce=settings.debounce_ms / 1000,
            interval=settings.interval,
            watch_files=settings.watch_files,
            lock_timeout=settings.lock_timeout,
            plan_options=PlanOptions(
                remove_orphans=settings.remove_orphans,
                hasher=compose_hash,
                start_completed=False,
            ),
            apply_options=ApplyOptions(
                parallel=opts.parallel or 0, hasher=compose_hash
            ),
        ),
    )
    if settings.show_values:  # the planner flags secret names itself
        passes.mask = lambda p: mask_plan(p, Secrets(), show_values=True)
    else:
        secrets = CurrentSecrets(lambda: loop.project)
        passes.mask = lambda p: mask_plan(p, secrets())
        passes.scrub = lambda text: secrets().scrub(text)
        passes.apply_reporter = MaskedReporter(apply_reporter, secrets)
    stop = threading.Event()
    restore = stop_on_signals(stop)
    try:
        result = loop.run(stop, once=once)
        interrupted = stop.is_set()
    finally:
        stop.set()
        loop.close()
        restore()
    if interrupted:
        raise typer.Exit(ExitCode.INTERRUPTED)
    if result.error is not None:
        raise result.error
    return ExitCode.CHANGES if result.changed else ExitCode.OK


@app.command("watch")
def watch(
    ctx: typer.Context,
    debounce: Debounce = 200,
    interval: Interval = 60.0,
    lock_timeout: LockTimeout = LOCK_TIMEOUT,
    remove_orphans: RemoveOrphans = False,
    show_values: ShowValues = False,
) -> None:
    """Apply the project, then re-apply on every file change and engine drift."""
    settings = WatchSettings(
        debounce, interval, lock_timeout, remove_orphans, True, show_values
    )
    run_watch(ctx, settings)


@app.command("reconcile")
def reconcile(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="One pass; exit 0 unchanged, 2 changed.")
    ] = False,
    debounce: Debounce = 200,
    interval: Interval = 60.0,
    lock_timeout: LockTimeout = LOCK_TIMEOUT,
    remove_orphans: RemoveOrphans = False,
    show_values: ShowValues = False,
) -> None:
    """Keep the project converged against engine drift (no file watching)."""
    settings = WatchSettings(
        debounce, interval, lock_timeout, remove_orphans, False, show_values
    )
    code = run_watch(ctx, settings, once=once)
    if once and code:
        raise typer.Exit(code)


@app.command("lock")
def lock(
    ctx: typer.Context,
    output: OutputFormat = "text",
) -> None:
    """Show who holds the project's lease."""
    from composer.engine.client import Engine
    from composer.engine.lease import read_holder

    opts = global_options(ctx)
    project = load_project(opts.load_options())
    engine = Engine()
    holder = read_holder(engine, project.name)
    if output == "json":
        data = None
        if holder is not None:
            data = {**dataclasses.asdict(holder), "expired": holder.expired()}
        typer.echo(json.dumps({"project": project.name, "holder": data}))
        return
    if holder is None:
        typer.echo(f"project {project.name}: not locked")
    else:
        typer.echo(f"project {project.name}: locked by {holder.describe()}")
    if holder is not None and holder.expired():
        typer.echo("the lease has expired; the next writer takes it over")
