"""Which files a project was loaded from, and which directories to watch for them.

Watching a directory rather than a file is what lets a file created later (an
``env_file`` that did not exist at start) be noticed.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass

from composer.spec.project import LoadOptions, Project

log = logging.getLogger(__name__)

#: Editors write these beside the file they save; they never matter.
_NOISE_SUFFIXES = ("~", ".swp", ".swx", ".swpx", ".tmp", ".part")
_NOISE_NAMES = frozenset({"4913", ".DS_Store"})


@dataclass(frozen=True)
class Sources:
    """The files a project depends on and the directories that hold them."""

    files: frozenset[str]
    directories: frozenset[str]

    def concerns(self, path: str) -> bool:
        """Whether a change at ``path`` may change the loaded project."""
        path = os.path.abspath(path)
        if path in self.files:
            return True
        name = os.path.basename(path)
        if is_noise(path):
            return False
        # A new env-like file in a watched directory may be a .env that did
        # not exist at load time (see project_sources).
        return os.path.dirname(path) in self.directories and _looks_like_env(name)


#: What a project's source files hold: a digest per file, None when absent.
Fingerprint = tuple[tuple[str, str | None], ...]

#: Seconds of file time-stamp coarseness allowed for (some file systems keep
#: whole seconds, or two).
_MTIME_SLACK = 2.0


def fingerprint(
    sources: Sources, settled_before: float | None = None
) -> Fingerprint | None:
    """The content of every source file, summed up, to tell a real edit apart.

    With ``settled_before`` (a time the files were read at), None when a file
    was modified since a little before then: the content summed up might not
    be the content that was read, so it must not vouch for it.  None as well
    when a source is a directory, whose content is not summed up here.
    """
    out: list[tuple[str, str | None]] = []
    for path in sorted(sources.files):
        try:
            with open(path, "rb") as handle:
                if settled_before is not None:
                    modified = os.fstat(handle.fileno()).st_mtime
                    if modified >= settled_before - _MTIME_SLACK:
                        return None
                out.append((path, hashlib.sha256(handle.read()).hexdigest()))
        except IsADirectoryError:
            return None
        except OSError:
            out.append((path, None))  # absent (or not a file): an edit creates it
    return tuple(out)


def is_noise(path: str) -> bool:
    """Whether a path is an editor's swap or backup file, never worth a pass."""
    name = os.path.basename(path)
    return name in _NOISE_NAMES or name.endswith(_NOISE_SUFFIXES)


def _looks_like_env(name: str) -> bool:
    return name.endswith((".env", ".yaml", ".yml")) or name.startswith(".env")


def project_sources(project: Project, options: LoadOptions) -> Sources:
    """Every file ``project`` was loaded from, as absolute paths."""
    files = set(project.source_files)
    if not _explicit_env_files(options):
        # A missing .env is not a source yet; creating it changes the project.
        files.add(os.path.join(project.working_dir, ".env"))
    directories = {os.path.dirname(f) for f in files}
    directories.add(project.working_dir)
    return Sources(frozenset(files), frozenset(directories))


def _explicit_env_files(options: LoadOptions) -> bool:
    """Whether ``--env-file`` or ``COMPOSE_ENV_FILES`` replaces the default .env."""
    environ = os.environ if options.environ is None else options.environ
    return bool(options.env_files or environ.get("COMPOSE_ENV_FILES"))
