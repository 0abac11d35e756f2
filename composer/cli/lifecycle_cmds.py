"""`composer start`, `stop`, `restart`, `pause`, `unpause`, `kill` and `rm`.

These act on the containers a project already has, in dependency order
(reverse order for stopping), and never create or recreate one: that is
`up`'s job, through the planner.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from composer.cli.app import app, global_options
from composer.cli.options import (
    Services,
    Timeout,
    check_signal,
)
from composer.cli.pipeline import connect, load
from composer.engine.labels import CONTAINER_NUMBER, ONEOFF, SERVICE
from composer.engine.report import Event, Reporter, Status
from composer.errors import ComposerError, EngineError
from composer.graph import GraphOptions, build_desired

if TYPE_CHECKING:
    from composer.engine.client import Engine


@dataclass(frozen=True)
class Target:
    """One existing container of the project."""

    id: str
    name: str
    service: str
    number: int
    state: str
    oneoff: bool


@dataclass(frozen=True)
class Found:
    """The engine and the project's containers, in dependency order."""

    engine: Engine
    project: str
    containers: tuple[Target, ...]


def find(ctx: typer.Context, services: tuple[str, ...], oneoff: bool = False) -> Found:
    """The named services' containers (all services' when none is named)."""
    project = load(global_options(ctx), services)
    for name in services:
        if name not in project.services:
            raise typer.BadParameter(f"no such service: {name}")
    desired = build_desired(project, GraphOptions(services, no_deps=True))
    rank = {name: i for i, name in enumerate(desired.order)}
    engine = connect()
    out: list[Target] = []
    for raw in engine.list_containers(project.name):
        labels = raw.get("Labels") or {}
        target = Target(
            id=str(raw["Id"]),
            name=str((raw.get("Names") or ["/?"])[0]).lstrip("/"),
            service=str(labels.get(SERVICE, "")),
            number=int(labels.get(CONTAINER_NUMBER) or 0),
            state=str(raw.get("State") or ""),
            oneoff=labels.get(ONEOFF) == "True",
        )
        if target.oneoff and not oneoff:
            continue
        if services and target.service not in services:
            continue
        out.append(target)
    out.sort(key=lambda t: (rank.get(t.service, len(rank)), t.number, t.name))
    return Found(engine, project.name, tuple(out))


@contextmanager
def reporting(ctx: typer.Context) -> Iterator[Reporter]:
    """The progress reporter chosen by ``--progress``, entered."""
    from composer.cli.progress import make_reporter
    from composer.cli.render import make_console

    reporter = make_reporter(global_options(ctx).progress, make_console(stderr=True))
    scope: AbstractContextManager[Any] = (
        reporter if isinstance(reporter, AbstractContextManager) else nullcontext()
    )
    with scope:
        yield reporter


def each(
    ctx: typer.Context,
    targets: tuple[Target, ...],
    verbs: tuple[str, str],
    action: Callable[[Target], None],
) -> None:
    """Apply ``action`` to each container, reporting it; stop at a failure."""
    doing, done = verbs
    with reporting(ctx) as reporter:
        for t in targets:
            began = time.monotonic()
            reporter.event(Event("container", t.name, Status.WORKING, doing))
            try:
                action(t)
            except ComposerError as exc:
                took = time.monotonic() - began
                reporter.event(
                    Event("container", t.name, Status.FAILED, exc.message, took)
                )
                raise
            took = time.monotonic() - began
            reporter.event(Event("container", t.name, Status.DONE, done, took))


def _require(found: Found, services: tuple[str, ...], what: str) -> None:
    if not found.containers:
        named = ", ".join(services) if services else f"project {found.project}"
        raise EngineError(f"{named}: no container to {what}; run `composer up` first")


@app.command("start")
def start(ctx: typer.Context, services: Services = None) -> None:
    """Start the existing containers of services."""
    names = tuple(services or ())
    found = find(ctx, names)
    _require(found, names, "start")
    todo = tuple(t for t in found.containers if t.state != "running")
    each(ctx, todo, ("Starting", "Started"), lambda t: found.engine.start(t.id))


@app.command("stop")
def stop(
    ctx: typer.Context, services: Services = None, timeout: Timeout = None
) -> None:
    """Stop running containers without removing them (IDs are kept)."""
    found = find(ctx, tuple(services or ()))
    todo = tuple(t for t in reversed(found.containers) if t.state != "exited")
    each(ctx, todo, ("Stopping", "Stopped"), lambda t: found.engine.stop(t.id, timeout))


@app.command("restart")
def restart(
    ctx: typer.Context, services: Services = None, timeout: Timeout = None
) -> None:
    """Restart the containers of services."""
    from composer.engine import control

    names = tuple(services or ())
    found = find(ctx, names)
    _require(found, names, "restart")
    each(
        ctx,
        found.containers,
        ("Restarting", "Restarted"),
        lambda t: control.restart(found.engine, t.id, timeout),
    )


@app.command("pause")
def pause(ctx: typer.Context, services: Services = None) -> None:
    """Pause the running containers of services."""
    from composer.engine import control

    found = find(ctx, tuple(services or ()))
    todo = tuple(t for t in found.containers if t.state == "running")
    each(ctx, todo, ("Pausing", "Paused"), lambda t: control.pause(found.engine, t.id))


@app.command("unpause")
def unpause(ctx: typer.Context, services: Services = None) -> None:
    """Unpause the paused containers of services."""
    from composer.engine import control

    found = find(ctx, tuple(services or ()))
    todo = tuple(t for t in found.containers if t.state == "paused")
    each(
        ctx,
        todo,
        ("Unpausing", "Unpaused"),
        lambda t: control.unpause(found.engine, t.id),
    )


@app.command("kill")
def kill(
    ctx: typer.Context,
    services: Services = None,
    signal: Annotated[
        str,
        typer.Option(
            "-s",
            "--signal",
            callback=check_signal,
            help="Signal to send: a name (SIGTERM or TERM) or a number.",
        ),
    ] = "SIGKILL",
) -> None:
    """Send a signal (SIGKILL by default) to the running containers of services."""
    from composer.engine import control

    found = find(ctx, tuple(services or ()))
    todo = tuple(t for t in found.containers if t.state in ("running", "paused"))
    each(
        ctx,
        todo,
        ("Killing", "Killed"),
        lambda t: control.kill(found.engine, t.id, signal),
    )


def confirm(question: str) -> bool:
    """Ask a yes/no question on stderr; the end of input is a no.

    With stdin not a terminal (a pipe, /dev/null), reading may end at once:
    that is an answer, not an interruption. Ctrl-C still interrupts.
    """
    while True:
        sys.stderr.write(f"{question} [y/N]: ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            sys.stderr.write("\nno answer (end of input), taken as no\n")
            return False
        answer = line.strip().lower()
        if answer in ("y", "yes"):
            return True
        if answer in ("", "n", "no"):
            return False
        sys.stderr.write("Please answer y or n.\n")


@app.command("rm")
def rm(
    ctx: typer.Context,
    services: Services = None,
    force: Annotated[
        bool, typer.Option("-f", "--force", help="Don't ask to confirm.")
    ] = False,
    stop_first: Annotated[
        bool, typer.Option("-s", "--stop", help="Stop the containers first.")
    ] = False,
    volumes: Annotated[
        bool, typer.Option("-v", "--volumes", help="Remove anonymous volumes too.")
    ] = False,
) -> None:
    """Remove stopped containers of services (with -s, stop them first)."""
    found = find(ctx, tuple(services or ()), oneoff=True)
    engine = found.engine
    if stop_first:
        running = tuple(
            t for t in reversed(found.containers) if t.state in ("running", "paused")
        )
        each(ctx, running, ("Stopping", "Stopped"), lambda t: engine.stop(t.id, None))
        found = find(ctx, tuple(services or ()), oneoff=True)
    todo = tuple(
        t
        for t in found.containers
        if t.state not in ("running", "paused", "restarting")
    )
    if not todo:
        sys.stderr.write("No stopped containers\n")
        return
    if not force:
        names = ", ".join(t.name for t in todo)
        if not confirm(f"Going to remove {names}. Are you sure?"):
            sys.stderr.write("Nothing removed\n")
            return
    each(
        ctx,
        todo,
        ("Removing", "Removed"),
        lambda t: engine.remove_container(t.id, volumes=volumes),
    )
