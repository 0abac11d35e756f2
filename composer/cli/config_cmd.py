"""`composer config`: show the normalised project."""

from __future__ import annotations

import typer

from composer.cli.app import app


@app.command("config")
def config(ctx: typer.Context) -> None:
    """Validate the project and print its normalised form."""
    # TODO(#3): the loader owns this command.
    raise typer.Exit(1)
