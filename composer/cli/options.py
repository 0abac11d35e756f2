"""Options and arguments that several commands share, declared once."""

from __future__ import annotations

import signal as _signal
from collections.abc import Callable
from typing import Annotated

import typer

from composer.cli.context import PROGRESS_MODES as PROGRESS_MODES  # re-exported


def one_of(*allowed: str) -> Callable[[str | None], str | None]:
    """A parse-time check that an option's value is one of ``allowed``.

    Checking while the command line is read means a bad value is refused
    (exit 2) before the command makes any engine call.
    """

    def check(value: str | None) -> str | None:
        if value is not None and value not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return check


def check_tail(value: str) -> str:
    """``--tail``: a number of lines, or ``all``."""
    if value != "all" and not (value.isascii() and value.isdigit()):
        raise typer.BadParameter(f"expected a number of lines or all, got {value!r}")
    return value


def check_signal(value: str) -> str:
    """``--signal``: a signal name (``KILL`` or ``SIGKILL``) or number."""
    if value.isascii() and value.isdigit():
        if 0 < int(value) < _signal.NSIG:
            return value
    else:
        name = value.upper()
        name = name if name.startswith("SIG") else f"SIG{name}"
        if name in _signal.Signals.__members__:
            return value
    raise typer.BadParameter(f"unknown signal {value!r}")


Services = Annotated[list[str] | None, typer.Argument(help="Services.")]
ServicesWithDeps = Annotated[
    list[str] | None, typer.Argument(help="Services (with their dependencies).")
]
Timeout = Annotated[
    int | None,
    typer.Option(
        "-t", "--timeout", min=0, help="Seconds to wait for a stop before killing."
    ),
]
ShowValues = Annotated[
    bool, typer.Option("--show-values", help="Show secret values in the output.")
]
LockTimeout = Annotated[
    float,
    typer.Option(
        "--lock-timeout",
        help="Seconds to wait for another writer's lease before exiting 4.",
    ),
]
OutputFormat = Annotated[
    str,
    typer.Option(
        "--format", callback=one_of("text", "json"), help="Output: text or json."
    ),
]
TableFormat = Annotated[
    str,
    typer.Option(
        "--format", callback=one_of("table", "json"), help="Output: table or json."
    ),
]
ExitCodeFlag = Annotated[
    bool, typer.Option("--exit-code", help="Exit 2 when the plan is not empty.")
]
ForceRecreate = Annotated[
    bool, typer.Option("--force-recreate", help="Recreate every container.")
]
NoRecreate = Annotated[
    bool, typer.Option("--no-recreate", help="Never recreate containers.")
]
NoDeps = Annotated[
    bool, typer.Option("--no-deps", help="Leave named services' deps alone.")
]
Scale = Annotated[
    list[str] | None, typer.Option("--scale", help="SERVICE=N (repeatable).")
]
RemoveOrphans = Annotated[
    bool, typer.Option("--remove-orphans", help="Remove undeclared containers.")
]
Target = Annotated[
    str | None,
    typer.Option("--target", help="Deploy to: engine (default) or swarm."),
]
