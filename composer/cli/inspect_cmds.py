"""`composer ps` and `composer logs`: look at the project's containers."""

from __future__ import annotations

import json
import sys
import threading
from typing import TYPE_CHECKING, Annotated, Any

import typer

from composer.cli.app import app, global_options
from composer.cli.options import Services, TableFormat, check_tail
from composer.cli.pipeline import connect, load
from composer.engine.labels import GIT_COMMIT, ONEOFF, SERVICE

if TYPE_CHECKING:
    from composer.engine.client import Engine


#: The states listed without ``--all``, as ``docker ps`` lists them: every
#: container whose process exists, paused (``Up 5 minutes (Paused)``) too.
_UP = ("running", "paused", "restarting")


def _containers(
    ctx: typer.Context, services: tuple[str, ...], everything: bool
) -> tuple[Engine, list[dict[str, Any]]]:
    project = load(global_options(ctx), services)
    engine = connect()
    found = [
        c
        for c in engine.list_containers(project.name)
        if (c.get("Labels") or {}).get(ONEOFF, "False") != "True"
        and (not services or (c.get("Labels") or {}).get(SERVICE) in services)
        and (everything or c.get("State") in _UP)
    ]
    found.sort(key=lambda c: str((c.get("Names") or ["?"])[0]))
    return engine, found


def _ports(container: dict[str, Any]) -> str:
    out = []
    for p in container.get("Ports") or ():
        if p.get("PublicPort"):
            ip = p.get("IP", "")
            out.append(f"{ip}:{p['PublicPort']}->{p['PrivatePort']}/{p['Type']}")
        else:
            out.append(f"{p['PrivatePort']}/{p['Type']}")
    return ", ".join(sorted(set(out)))


def _name(container: dict[str, Any]) -> str:
    return str((container.get("Names") or ["/?"])[0]).lstrip("/")


@app.command("ps")
def ps(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument()] = None,
    all_: Annotated[
        bool, typer.Option("-a", "--all", help="Include stopped containers.")
    ] = False,
    output: TableFormat = "table",
) -> None:
    """List the project's containers."""
    _, found = _containers(ctx, tuple(services or ()), all_)
    rows = [
        {
            "Name": _name(c),
            "Image": c.get("Image"),
            "Service": (c.get("Labels") or {}).get(SERVICE),
            "State": c.get("State"),
            "Status": c.get("Status"),
            "Ports": _ports(c),
            "ID": c.get("Id"),
            "Commit": (c.get("Labels") or {}).get(GIT_COMMIT),
        }
        for c in found
    ]
    if output == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    columns: tuple[str, ...] = ("Name", "Image", "Service", "Status", "Ports")
    if any(row["Commit"] for row in rows):  # deployed by `composer sync`
        columns += ("Commit",)
        for row in rows:
            row["Commit"] = str(row["Commit"] or "")[:12]
    table = [[c.upper() for c in columns]]
    table += [[str(row[k] or "") for k in columns] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    for line in table:
        cells = [cell.ljust(w) for cell, w in zip(line, widths, strict=True)]
        sys.stdout.write("   ".join(cells).rstrip() + "\n")


@app.command("logs")
def logs(
    ctx: typer.Context,
    services: Services = None,
    follow: Annotated[
        bool, typer.Option("-f", "--follow", help="Keep printing new output.")
    ] = False,
    tail: Annotated[
        str,
        typer.Option(
            "--tail", callback=check_tail, help="Lines from the end (or all)."
        ),
    ] = "all",
    timestamps: Annotated[
        bool,
        typer.Option("-t", "--timestamps", help="Begin each line with its time stamp."),
    ] = False,
) -> None:
    """Show the output of the project's containers."""
    engine, found = _containers(ctx, tuple(services or ()), True)
    lines: int | str = int(tail) if tail.isdigit() else "all"
    width = max((len(_name(c)) for c in found), default=0)
    lock = threading.Lock()

    def pump(container: dict[str, Any]) -> None:
        prefix = f"{_name(container):<{width}} | "
        pending = b""
        for chunk in engine.logs(container["Id"], follow, lines, timestamps):
            pending += chunk
            *complete, pending = pending.split(b"\n")
            with lock:
                for line in complete:
                    sys.stdout.write(prefix + line.decode(errors="replace") + "\n")
                sys.stdout.flush()
        if pending:
            with lock:
                sys.stdout.write(prefix + pending.decode(errors="replace") + "\n")

    threads = [threading.Thread(target=pump, args=(c,), daemon=True) for c in found]
    for t in threads:
        t.start()
        if not follow:
            t.join()
    for t in threads:
        while t.is_alive():
            t.join(0.5)
