"""`composer exec`, `run`, `top`, `port`, `events` and `cp`."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shlex
import stat
import sys
import tarfile
import tempfile
import termios
import tty
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from composer.cli.app import app, global_options
from composer.cli.lifecycle_cmds import Target, find, reporting
from composer.cli.pipeline import State, hasher, prepare
from composer.engine.labels import CONTAINER_NUMBER, ONEOFF, SERVICE_CONFIG
from composer.errors import ConfigError, EngineError
from composer.plan import Kind, Plan, PlanOptions, plan

if TYPE_CHECKING:
    from composer.engine import control
    from composer.engine.client import Engine

Env = Annotated[
    list[str] | None,
    typer.Option("-e", "--env", help="KEY=VALUE environment variable (repeatable)."),
]
NoTty = Annotated[
    bool, typer.Option("-T", "--no-TTY", help="Don't allocate a pseudo-TTY.")
]
Index = Annotated[
    int,
    typer.Option("--index", min=1, help="Which replica of the service (from 1)."),
]
Command = Annotated[list[str] | None, typer.Argument(help="Command and arguments.")]
_ARGS = {
    "allow_extra_args": True,
    "ignore_unknown_options": True,
    # Options after SERVICE belong to the command, as with Docker Compose.
    "allow_interspersed_args": False,
}


def _environment(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or ():
        key, sep, value = item.partition("=")
        out[key] = value if sep else os.environ.get(key, "")
    return out


def _streams(no_tty: bool, interactive: bool = True) -> control.Streams:
    """A TTY when both ends are terminals and -T is absent; stdin when piped."""
    from composer.engine import control

    use_tty = not no_tty and sys.stdin.isatty() and sys.stdout.isatty()
    stdin: BinaryIO | None = None
    if interactive and (use_tty or _piped(sys.stdin.fileno())):
        stdin = sys.stdin.buffer
    return control.Streams(sys.stdout.buffer, sys.stderr.buffer, stdin, use_tty)


def _piped(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


@contextmanager
def _raw_terminal(streams: control.Streams) -> Iterator[None]:
    if not streams.tty:
        yield
        return
    saved = termios.tcgetattr(sys.stdin.fileno())
    tty.setraw(sys.stdin.fileno())
    try:
        yield
    finally:
        termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)


def _one(ctx: typer.Context, service: str, index: int) -> tuple[Engine, Target]:
    found = find(ctx, (service,))
    for t in found.containers:
        if t.number == index and t.state in ("running", "paused"):
            return found.engine, t
    raise EngineError(f"service {service!r} has no running container number {index}")


@app.command("exec", context_settings=_ARGS)
def exec_(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service.")],
    command: Command = None,
    detach: Annotated[
        bool, typer.Option("-d", "--detach", help="Run in background.")
    ] = False,
    no_tty: NoTty = False,
    env: Env = None,
    workdir: Annotated[
        str | None, typer.Option("-w", "--workdir", help="Working directory.")
    ] = None,
    user: Annotated[str | None, typer.Option("-u", "--user", help="User.")] = None,
    privileged: Annotated[
        bool,
        typer.Option("--privileged", help="Give the command extended privileges."),
    ] = False,
    index: Index = 1,
) -> None:
    """Run a command in a running container; exit with the command's code."""
    from composer.engine import control

    argv = [*(command or ()), *ctx.args]
    if not argv:
        raise typer.BadParameter("exec needs a command")
    engine, target = _one(ctx, service, index)
    streams = _streams(no_tty)
    with _raw_terminal(streams):
        code = control.exec_in(
            engine,
            target.id,
            argv,
            streams,
            _environment(env),
            workdir,
            user,
            privileged,
            detach,
        )
    raise typer.Exit(code)


@app.command("run", context_settings=_ARGS)
def run(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service.")],
    command: Command = None,
    detach: Annotated[
        bool, typer.Option("-d", "--detach", help="Run in background.")
    ] = False,
    rm: Annotated[
        bool, typer.Option("--rm", help="Remove the container after.")
    ] = False,
    env: Env = None,
    no_deps: Annotated[
        bool, typer.Option("--no-deps", help="Don't start linked services.")
    ] = False,
    entrypoint: Annotated[
        str | None, typer.Option("--entrypoint", help="Override the entrypoint.")
    ] = None,
    no_tty: NoTty = False,
    service_ports: Annotated[
        bool, typer.Option("--service-ports", help="Publish the service's ports.")
    ] = False,
    name: Annotated[str | None, typer.Option("--name", help="Container name.")] = None,
    user: Annotated[str | None, typer.Option("-u", "--user", help="User.")] = None,
    workdir: Annotated[
        str | None, typer.Option("-w", "--workdir", help="Working directory.")
    ] = None,
) -> None:
    """Run a one-off container of a service; exit with its exit code.

    Dependencies are brought up first through the planner, like `up`; the
    one-off container never publishes the service's ports unless asked.
    """
    from composer.engine import control
    from composer.engine.build import container_labels, container_spec

    state = prepare(global_options(ctx), (service,), no_deps=no_deps)
    if service not in state.desired.services:
        raise ConfigError(f"no such service: {service}")
    _dependencies_up(ctx, state, service)
    desired, node = state.desired, state.desired.services[service]
    labels = container_labels(desired, node, 1, None, None)
    labels.pop(SERVICE_CONFIG, None)
    labels |= {ONEOFF: "True", CONTAINER_NUMBER: "1"}
    spec = container_spec(desired, node, labels)
    argv = [*(command or ()), *ctx.args]
    streams = _streams(no_tty, interactive=not detach)
    spec = dataclasses.replace(
        spec,
        command=tuple(argv) if argv else spec.command,
        entrypoint=tuple(shlex.split(entrypoint)) if entrypoint else spec.entrypoint,
        environment={**spec.environment, **_environment(env)},
        ports=spec.ports if service_ports else (),
        tty=streams.tty,
        stdin_open=streams.stdin is not None,
        restart=None,
        user=user or spec.user,
        working_dir=workdir or spec.working_dir,
    )
    engine = state.engine
    container = name or f"{desired.project}-{service}-run-{uuid.uuid4().hex[:12]}"
    ident = control.create_oneoff(engine, spec, container)
    if detach:
        engine.start(ident)
        sys.stdout.write(container + "\n")
        return
    try:
        with _raw_terminal(streams):
            code = control.attach_and_start(engine, ident, streams)
    finally:
        if rm:
            engine.remove_container(ident, volumes=True)
    raise typer.Exit(code)


def _dependencies_up(ctx: typer.Context, state: State, service: str) -> None:
    """Converge what ``service`` needs (and build its image), not the service."""
    from composer.engine.apply import ApplyOptions
    from composer.engine.lease import DEFAULT_TIMEOUT
    from composer.watch.converge import up_locked

    options = PlanOptions(hasher=hasher())

    def without_service(p: Plan, _: object) -> Plan:
        steps = tuple(
            s for s in p.steps if s.kind is Kind.IMAGE or s.service != service
        )
        return dataclasses.replace(p, steps=steps)

    first = without_service(plan(state.desired, state.actual, options), None)
    if first.problems:
        raise EngineError("; ".join(first.problems))
    if first.empty:
        return
    with reporting(ctx) as reporter:
        up_locked(
            state.engine,
            state.desired,
            first,
            options,
            ApplyOptions(parallel=global_options(ctx).parallel or 0),
            reporter,
            DEFAULT_TIMEOUT,
            narrow=without_service,
        )


@app.command("top")
def top(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Services.")] = None,
) -> None:
    """Show the processes running in the project's containers."""
    from composer.engine import control

    found = find(ctx, tuple(services or ()))
    for t in found.containers:
        if t.state != "running":
            continue
        titles, rows = control.top(found.engine, t.id)
        table = [titles, *rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(titles))]
        sys.stdout.write(f"{t.name}\n")
        for row in table:
            cells = [c.ljust(w) for c, w in zip(row, widths, strict=False)]
            sys.stdout.write("   ".join(cells).rstrip() + "\n")
        sys.stdout.write("\n")


@app.command("port")
def port(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service.")],
    private_port: Annotated[str, typer.Argument(help="Container port.")],
    protocol: Annotated[str, typer.Option("--protocol", help="tcp or udp.")] = "tcp",
    index: Index = 1,
) -> None:
    """Print the host address a container port is published on."""
    engine, target = _one(ctx, service, index)
    details = engine.inspect_container(target.id)
    ports = (details.get("NetworkSettings") or {}).get("Ports") or {}
    key = private_port if "/" in private_port else f"{private_port}/{protocol}"
    bindings = ports.get(key) or []
    if not bindings:
        raise EngineError(f"no port {key} published for service {service}")
    first = bindings[0]
    sys.stdout.write(f"{first.get('HostIp') or '0.0.0.0'}:{first.get('HostPort')}\n")


@app.command("events")
def events(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Services.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON per line.")] = False,
) -> None:
    """Stream the engine's events for the project's containers."""
    from composer.engine import control

    found = find(ctx, tuple(services or ()))
    wanted = set(services or ())
    for raw in control.events(found.engine, found.project):
        attributes = dict((raw.get("Actor") or {}).get("Attributes") or {})
        svc = attributes.get("com.docker.compose.service", "")
        if wanted and svc not in wanted:
            continue
        stamp = datetime.fromtimestamp(int(raw.get("timeNano", 0)) / 1e9, UTC)
        event = {
            "time": stamp.isoformat(),
            "type": "container",
            "action": str(raw.get("Action") or raw.get("status") or ""),
            "id": str(raw.get("id") or (raw.get("Actor") or {}).get("ID") or ""),
            "service": svc,
            # Labels (dotted keys) are left out, as Docker Compose does.
            "attributes": {k: v for k, v in attributes.items() if "." not in k},
        }
        if as_json:
            sys.stdout.write(json.dumps(event) + "\n")
        else:
            extra = ", ".join(
                f"{k}={v}" for k, v in sorted(event["attributes"].items())
            )
            sys.stdout.write(
                f"{stamp:%Y-%m-%d %H:%M:%S.%f} container {event['action']} "
                f"{event['id']} ({extra})\n"
            )
        sys.stdout.flush()


@app.command("cp")
def cp(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="SERVICE:SRC_PATH or SRC_PATH.")],
    dest: Annotated[str, typer.Argument(help="DEST_PATH or SERVICE:DEST_PATH.")],
    index: Index = 1,
) -> None:
    """Copy files between a service container and the local filesystem."""
    if ":" in source and not os.path.exists(source):
        service, _, inner = source.partition(":")
        engine, target = _one(ctx, service, index)
        _copy_out(engine, target.id, inner, dest)
    elif ":" in dest:
        service, _, inner = dest.partition(":")
        engine, target = _one(ctx, service, index)
        _copy_in(engine, target.id, source, inner)
    else:
        raise typer.BadParameter("one of the paths must be SERVICE:PATH")


def _copy_out(engine: Engine, ident: str, inner: str, dest: str) -> None:
    from composer.engine import control

    data = b"".join(control.get_archive(engine, ident, inner))
    if dest == "-":
        sys.stdout.buffer.write(data)
        return
    with tempfile.TemporaryDirectory() as scratch:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(scratch, filter="data")
            top = tar.getnames()[0].split("/")[0]
        target = Path(dest)
        if target.is_dir():
            target = target / top
        os.replace(Path(scratch) / top, target)


def _copy_in(engine: Engine, ident: str, source: str, inner: str) -> None:
    from composer.engine import control

    src = Path(source)
    if not src.exists():
        raise ConfigError(f"no such file or directory: {source}")
    directory = control.is_directory(engine, ident, inner)
    base, name = (inner, src.name) if directory else os.path.split(inner)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(str(src), arcname=name or src.name)
    if not control.put_archive(engine, ident, base or "/", buffer.getvalue()):
        raise EngineError(f"no such directory in the container: {base}")
