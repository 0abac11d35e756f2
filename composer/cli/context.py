"""The options given before the subcommand, without typer.

``composer.cli.app`` declares them as typer options; the quick path of
``composer.cli.fast`` reads the same options itself, so both build this.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from composer.spec.project import LoadOptions

#: The values ``--progress`` accepts.
PROGRESS_MODES = ("auto", "plain", "json", "quiet")


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
