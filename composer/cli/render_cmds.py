"""`composer render k8s`: the project as Kubernetes manifests."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from composer.cli.app import app, global_options
from composer.cli.pipeline import load

render_app = typer.Typer(
    name="render",
    help="Render the project for another engine, without deploying it.",
    no_args_is_help=True,
)
app.add_typer(render_app)

_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@render_app.command("k8s")
def render_k8s(
    ctx: typer.Context,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="Namespace of every object."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write one file per object here."),
    ] = None,
) -> None:
    """Print Kubernetes manifests for the project (warnings go to stderr)."""
    from composer.targets.k8s import render, to_stream, write_directory

    if namespace is not None and not _NAMESPACE.match(namespace):
        raise typer.BadParameter(
            "must be a DNS label (lowercase letters, digits, '-')",
            param_hint="--namespace",
        )
    project = load(global_options(ctx))
    for diag in project.warnings:
        sys.stderr.write(diag.render() + "\n")
    rendering = render(project, namespace)
    for diag in rendering.warnings:
        sys.stderr.write(diag.render() + "\n")
    if output is None:
        sys.stdout.write(to_stream(rendering.manifests))
        return
    for path in write_directory(rendering.manifests, output):
        sys.stderr.write(f"wrote {path}\n")
