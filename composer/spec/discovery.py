"""Which files make up the project, where it lives, what it is called.

Follows Compose: ``-f`` (repeatable, ``-`` is stdin), else ``COMPOSE_FILE``
(split on the path separator), else the first of ``compose.yaml``,
``compose.yml``, ``docker-compose.yaml``, ``docker-compose.yml`` found in the
working directory or one of its parents, plus the matching override file.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from composer.errors import ConfigError, Location
from composer.spec.dotenv import read_env_file

log = logging.getLogger(__name__)

DEFAULT_FILES = (
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
)
OVERRIDE_FILES = {
    "compose.yaml": ("compose.override.yaml", "compose.override.yml"),
    "compose.yml": ("compose.override.yml", "compose.override.yaml"),
    "docker-compose.yaml": (
        "docker-compose.override.yaml",
        "docker-compose.override.yml",
    ),
    "docker-compose.yml": (
        "docker-compose.override.yml",
        "docker-compose.override.yaml",
    ),
}
STDIN = "-"
_VALID_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


class ProjectNameError(ConfigError):
    """A project name given explicitly is not a valid Compose project name."""


@dataclass(frozen=True)
class Discovered:
    """The files of a project and the directory it is relative to."""

    files: tuple[str, ...]
    working_dir: str


def find_files(
    files: tuple[str, ...],
    project_directory: str | None,
    environ: Mapping[str, str],
    cwd: str,
) -> Discovered:
    """Resolve the project's file list and working directory."""
    chosen = list(files)
    if not chosen:
        from_env = environ.get("COMPOSE_FILE")
        if from_env:
            sep = environ.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
            chosen = [f for f in from_env.split(sep) if f]
    base = os.path.abspath(os.path.join(cwd, project_directory or "."))
    if chosen:
        paths = tuple(
            f if f == STDIN else os.path.abspath(os.path.join(cwd, f)) for f in chosen
        )
        for path in paths:
            if path != STDIN and not os.path.isfile(path):
                raise ConfigError.at(
                    "C130", f"no such compose file: {path}", Location(path)
                )
        first = next((p for p in paths if p != STDIN), None)
        if project_directory is None and first is not None and paths[0] != STDIN:
            base = os.path.dirname(first)
        return Discovered(paths, base)
    found = _search(base if project_directory else os.path.abspath(cwd))
    if not found:
        raise ConfigError.at(
            "C131",
            "no configuration file provided: not found",
            Location(os.path.abspath(cwd)),
            hint="create compose.yaml or pass -f FILE",
        )
    return Discovered(found, (project_directory and base) or os.path.dirname(found[0]))


def _search(start: str) -> tuple[str, ...]:
    """The default file and its override in ``start`` or its nearest parent."""
    directory = start
    while True:
        names = [n for n in DEFAULT_FILES if os.path.isfile(os.path.join(directory, n))]
        if names:
            if len(names) > 1:
                log.warning(
                    "Found multiple config files with supported names: %s; using %s",
                    ", ".join(names),
                    names[0],
                )
            result = [os.path.join(directory, names[0])]
            for override in OVERRIDE_FILES[names[0]]:
                candidate = os.path.join(directory, override)
                if os.path.isfile(candidate):
                    result.append(candidate)
                    break
            return tuple(result)
        parent = os.path.dirname(directory)
        if parent == directory:
            return ()
        directory = parent


def project_env_files(
    working_dir: str,
    env_files: tuple[str, ...],
    environ: Mapping[str, str],
    cwd: str,
) -> tuple[str, ...]:
    """The absolute paths the interpolation environment is read from, in order.

    ``--env-file`` (else ``COMPOSE_ENV_FILES``) paths are named whether or
    not they exist; the default ``.env`` only when it exists.
    """
    if not env_files and environ.get("COMPOSE_ENV_FILES"):
        env_files = tuple(
            f.strip() for f in environ["COMPOSE_ENV_FILES"].split(",") if f.strip()
        )
    if env_files:
        return tuple(os.path.abspath(os.path.join(cwd, name)) for name in env_files)
    default = os.path.join(working_dir, ".env")
    return (default,) if os.path.isfile(default) else ()


def read_project_env(
    paths: tuple[str, ...], environ: Mapping[str, str]
) -> dict[str, str]:
    """The interpolation environment: env files overlaid by the shell."""
    merged: dict[str, str] = {}
    for path in paths:
        if not os.path.isfile(path):
            raise ConfigError.at("C132", f"env file {path} not found", Location(path))
        merged.update(read_env_file(path, {**merged, **environ}))
    merged.update(environ)
    return merged


def normalize_name(name: str) -> str:
    """A directory name turned into a project name, as Compose does."""
    lowered = name.lower()
    cleaned = re.sub(r"[^a-z0-9_-]", "", lowered)
    return cleaned.lstrip("_-")


def check_name(name: str, where: str, location: Location | None = None) -> str:
    """Return ``name`` if it is a valid project name, else raise."""
    if not _VALID_NAME.fullmatch(name):
        raise ProjectNameError.at(
            "C133",
            f'invalid project name "{name}" (from {where}): it must contain only '
            "lowercase letters, digits, dashes and underscores, and start with a "
            "letter or digit",
            location,
            hint=f'try "{normalize_name(name)}"' if normalize_name(name) else None,
        )
    return name
