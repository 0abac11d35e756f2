"""The typer application and the global options every command shares."""

from __future__ import annotations

from typing import Annotated

import typer

from composer import __version__
from composer.cli.context import GlobalOptions as GlobalOptions  # re-exported
from composer.cli.lazy import LazyGroup
from composer.cli.options import PROGRESS_MODES, one_of

app = typer.Typer(
    name="composer",
    cls=LazyGroup,
    help="Deploy Compose files declaratively: see the plan, then apply exactly it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def global_options(ctx: typer.Context) -> GlobalOptions:
    """The global options stored by the callback."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, GlobalOptions) else GlobalOptions()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"composer {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    file: Annotated[
        list[str] | None,
        typer.Option("-f", "--file", help="Compose file (repeatable; - for stdin)."),
    ] = None,
    project_name: Annotated[
        str | None, typer.Option("-p", "--project-name", help="Project name.")
    ] = None,
    project_directory: Annotated[
        str | None,
        typer.Option("--project-directory", help="Working directory of the project."),
    ] = None,
    env_file: Annotated[
        list[str] | None,
        typer.Option("--env-file", help="Environment file (repeatable)."),
    ] = None,
    profile: Annotated[
        list[str] | None,
        typer.Option("--profile", help="Enable a profile (repeatable)."),
    ] = None,
    progress: Annotated[
        str,
        typer.Option(
            "--progress",
            callback=one_of(*PROGRESS_MODES),
            help="Progress output: auto, plain, json, quiet.",
        ),
    ] = "auto",
    parallel: Annotated[
        int | None,
        typer.Option(
            "--parallel",
            min=1,
            help="Most engine operations at once (default 8 per core).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-v", callback=_version, is_eager=True, help="Print version."
        ),
    ] = False,
) -> None:
    """Deploy Compose files declaratively: see the plan, then apply exactly it."""
    ctx.obj = GlobalOptions(
        files=tuple(file or ()),
        project_name=project_name,
        project_directory=project_directory,
        env_files=tuple(env_file or ()),
        profiles=tuple(profile or ()),
        progress=progress,
        parallel=parallel,
    )
