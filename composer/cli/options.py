"""Options and arguments that several commands share, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

Services = Annotated[list[str] | None, typer.Argument(help="Services.")]
ServicesWithDeps = Annotated[
    list[str] | None, typer.Argument(help="Services (with their dependencies).")
]
Timeout = Annotated[
    int | None,
    typer.Option("-t", "--timeout", help="Seconds to wait for a stop before killing."),
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
OutputFormat = Annotated[str, typer.Option("--format", help="Output: text or json.")]
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
