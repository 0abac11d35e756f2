"""`composer config`: validate the project and print its normalised form."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import typer

from composer.cli.app import app, global_options
from composer.spec import load_project
from composer.spec.hashing import service_config_hash
from composer.spec.project import Project
from composer.spec.render import to_json, to_yaml


def _listing(noun: str) -> Any:
    """The declaration of one listing flag: ``--services`` for "service"..."""
    return typer.Option(f"--{noun}s", help=f"Print the {noun} names.")


def _images(project: Project) -> list[str]:
    return [
        str(svc.get("image") or f"{project.name}-{name}")
        for name, svc in project.services.items()
    ]


# What each listing flag prints, in the order in which the flags take effect.
_LISTINGS: Mapping[str, Callable[[Project], list[str]]] = {
    "services": lambda project: list(project.services),
    "volumes": lambda project: list(project.section("volumes")),
    "networks": lambda project: list(project.section("networks")),
    "profiles": lambda project: sorted(project.all_profiles),
    "images": _images,
}


@app.command("config")
def config(
    ctx: typer.Context,
    services: Annotated[
        list[str] | None, typer.Argument(help="Only these services (and their deps).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Output format: yaml or json.")
    ] = "yaml",
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only validate; print nothing.")
    ] = False,
    list_services: Annotated[bool, _listing("service")] = False,
    list_volumes: Annotated[bool, _listing("volume")] = False,
    list_networks: Annotated[bool, _listing("network")] = False,
    list_profiles: Annotated[bool, _listing("profile")] = False,
    list_images: Annotated[bool, _listing("image")] = False,
    no_interpolate: Annotated[
        bool, typer.Option("--no-interpolate", help="Do not substitute variables.")
    ] = False,
    hash_of: Annotated[
        str | None,
        typer.Option("--hash", help="Print the config hash of services (a,b or *)."),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to this file.")
    ] = None,
) -> None:
    """Validate the project and print its normalised form."""
    if fmt not in ("yaml", "json"):
        raise typer.BadParameter("must be yaml or json", param_hint="--format")
    options = global_options(ctx).load_options(
        tuple(services or ()), interpolate=not no_interpolate
    )
    project = load_project(options)
    for diag in project.warnings:
        sys.stderr.write(diag.render() + "\n")
    if quiet:
        return
    flags = {
        "services": list_services,
        "volumes": list_volumes,
        "networks": list_networks,
        "profiles": list_profiles,
        "images": list_images,
    }
    listing = next((what for what in _LISTINGS if flags[what]), None)
    if hash_of is not None:
        text = _lines(_hashes(project, hash_of))
    elif listing is not None:
        text = _lines(_LISTINGS[listing](project))
    elif fmt == "json":
        text = to_json(project.model, not no_interpolate)
    else:
        text = to_yaml(project.model, not no_interpolate)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


def _hashes(project: Project, hash_of: str) -> list[str]:
    """``NAME HASH`` of the services ``--hash`` names (``*`` for all)."""
    wanted = (
        list(project.services)
        if hash_of == "*"
        else [s.strip() for s in hash_of.split(",") if s.strip()]
    )
    lines = []
    for name in wanted:
        svc = project.services.get(name)
        if svc is None:
            raise typer.BadParameter(f"no such service: {name}", param_hint="--hash")
        lines.append(f"{name} {service_config_hash(svc)}")
    return lines


def _lines(items: list[str]) -> str:
    return "".join(item + "\n" for item in items)
