"""`composer config`: validate the project and print its normalised form."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from composer.cli.app import app, global_options
from composer.spec import load_project
from composer.spec.hashing import service_config_hash
from composer.spec.project import Project
from composer.spec.render import to_json, to_yaml


def _listing(project: Project, what: str) -> list[str]:
    if what == "services":
        return list(project.services)
    if what in ("volumes", "networks"):
        return list(project.section(what))
    if what == "profiles":
        return sorted(project.all_profiles)
    images = []
    for name, svc in project.services.items():
        images.append(str(svc.get("image") or f"{project.name}-{name}"))
    return images


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
    list_services: Annotated[
        bool, typer.Option("--services", help="Print the service names.")
    ] = False,
    list_volumes: Annotated[
        bool, typer.Option("--volumes", help="Print the volume names.")
    ] = False,
    list_networks: Annotated[
        bool, typer.Option("--networks", help="Print the network names.")
    ] = False,
    list_profiles: Annotated[
        bool, typer.Option("--profiles", help="Print the profile names.")
    ] = False,
    list_images: Annotated[
        bool, typer.Option("--images", help="Print the image names.")
    ] = False,
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
    text = _render(
        project,
        fmt,
        not no_interpolate,
        hash_of,
        {
            "services": list_services,
            "volumes": list_volumes,
            "networks": list_networks,
            "profiles": list_profiles,
            "images": list_images,
        },
    )
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


def _render(
    project: Project,
    fmt: str,
    escape: bool,
    hash_of: str | None,
    listings: dict[str, bool],
) -> str:
    if hash_of is not None:
        wanted = (
            list(project.services)
            if hash_of == "*"
            else [s.strip() for s in hash_of.split(",") if s.strip()]
        )
        lines = []
        for name in wanted:
            svc = project.services.get(name)
            if svc is None:
                raise typer.BadParameter(
                    f"no such service: {name}", param_hint="--hash"
                )
            lines.append(f"{name} {service_config_hash(svc)}")
        return "".join(line + "\n" for line in lines)
    for what, wanted_listing in listings.items():
        if wanted_listing:
            return "".join(line + "\n" for line in _listing(project, what))
    if fmt == "json":
        return to_json(project.model, escape)
    return to_yaml(project.model, escape)
