"""The typer application and the global options every command shares."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Annotated

import typer

from composer import __version__
from composer.cli.lazy import LazyGroup
from composer.spec.project import LoadOptions

app = typer.Typer(
    name="composer",
    cls=LazyGroup,
    help="Deploy Compose files declaratively: see the plan, then apply exactly it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass(frozen=True)
class GlobalOptions:
    """Options given before the subcommand, as with Docker Compose."""

    files: tuple[str, ...] = ()
    project_name: str | None = None
    project_directory: str | None = None
    env_files: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    progress: str = "auto"
    parallel: int | None = None

    def load_options(
        self, services: tuple[str, ...] = (), interpolate: bool = True
    ) -> LoadOptions:
        """The loader's options for this invocation."""
        return LoadOptions(
            files=self.files,
            project_name=self.project_name,
            project_directory=self.project_directory,
            env_files=self.env_files,
            profiles=self.profiles,
            services=services,
            interpolate=interpolate,
            environ=dict(os.environ),
            cwd=os.getcwd(),
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
        typer.Option("--progress", help="Progress output: auto, plain, json, quiet."),
    ] = "auto",
    parallel: Annotated[
        int | None,
        typer.Option(
            "--parallel", help="Most engine operations at once (default 8 per core)."
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
