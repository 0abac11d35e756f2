"""The immutable result of loading: one normalised Compose project."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from composer.errors import Diagnostic, Location


@dataclass(frozen=True)
class LoadOptions:
    """Everything that decides how a project is loaded, as given by the user."""

    files: tuple[str, ...] = ()
    project_name: str | None = None
    project_directory: str | None = None
    env_files: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    interpolate: bool = True
    environ: Mapping[str, str] | None = None
    cwd: str | None = None


@dataclass(frozen=True)
class Project:
    """A loaded, validated and normalised Compose project.

    ``model`` has the shape of ``docker compose config --format json``: every
    short syntax in its long form, paths absolute, only enabled services.
    Treat it as read-only.
    """

    name: str
    working_dir: str
    config_files: tuple[str, ...]
    model: Mapping[str, Any]
    environment: Mapping[str, str] = field(default_factory=dict)
    #: Every file the project was loaded from, as absolute paths: Compose
    #: files (with extends and include targets), ``.env`` or ``--env-file``
    #: files, each service's ``env_file`` (also a missing optional one) and
    #: ``label_file``, and the ``file`` of each used secret and config.
    source_files: tuple[str, ...] = ()
    #: The services' ``env_file`` paths (a part of ``source_files``).
    env_files: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()
    all_profiles: tuple[str, ...] = ()
    #: Where a key path of the model was written (file, line, column), for
    #: errors found after loading; the loader sets it.
    locator: Callable[[tuple[str | int, ...]], Location] | None = field(
        default=None, compare=False, repr=False
    )

    def locate(self, path: tuple[str | int, ...]) -> Location:
        """The position of ``path`` in the project's files, when known."""
        return self.locator(path) if self.locator is not None else Location()

    @property
    def services(self) -> Mapping[str, Mapping[str, Any]]:
        """The enabled services by name."""
        services: Mapping[str, Mapping[str, Any]] = self.model.get("services") or {}
        return services

    def section(self, name: str) -> Mapping[str, Mapping[str, Any]]:
        """A top-level section (networks, volumes, secrets, configs) by name."""
        value: Mapping[str, Mapping[str, Any]] = self.model.get(name) or {}
        return value
