"""Which files a project was loaded from, and which directories to watch for them.

Watching a directory rather than a file is what lets a file created later (an
``env_file`` that did not exist at start) be noticed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

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
        # A file we know nothing about in a watched directory may be an
        # env_file the loader does not name (see project_sources).
        return os.path.dirname(path) in self.directories and _looks_like_env(name)


def is_noise(path: str) -> bool:
    """Whether a path is an editor's swap or backup file, never worth a pass."""
    name = os.path.basename(path)
    return name in _NOISE_NAMES or name.endswith(_NOISE_SUFFIXES)


def _looks_like_env(name: str) -> bool:
    return name.endswith((".env", ".yaml", ".yml")) or name.startswith(".env")


def project_sources(project: Project, options: LoadOptions) -> Sources:
    """Every file ``project`` was loaded from, as absolute paths."""
    cwd = options.cwd or os.getcwd()
    files: set[str] = set(project.source_files) | set(project.config_files)
    if options.env_files:
        files.update(os.path.abspath(os.path.join(cwd, f)) for f in options.env_files)
    else:
        files.add(os.path.join(project.working_dir, ".env"))
    for section in ("secrets", "configs"):
        for spec in project.section(section).values():
            if isinstance(spec, Mapping) and spec.get("file"):
                files.add(str(spec["file"]))
    # TODO(#3): the Project drops env_file and label_file paths once it has
    # read them; until it records them, find them in the raw Compose files.
    for config in project.config_files:
        files.update(_raw_env_files(config))
    files = {os.path.abspath(f) for f in files if f and f != "-"}
    directories = {os.path.dirname(f) for f in files}
    directories.add(project.working_dir)
    return Sources(frozenset(files), frozenset(directories))


def _raw_env_files(config: str) -> Iterable[str]:
    """The ``env_file``/``label_file`` paths written in one Compose file."""
    try:
        with open(config, encoding="utf-8") as fh:
            data: Any = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []
    base = os.path.dirname(config)
    found: list[str] = []
    services = data.get("services") if isinstance(data, dict) else None
    for svc in (services or {}).values() if isinstance(services, dict) else ():
        if not isinstance(svc, dict):
            continue
        for key in ("env_file", "label_file"):
            entries = svc.get(key)
            if isinstance(entries, str | dict):
                entries = [entries]
            for entry in entries or ():
                path = entry.get("path") if isinstance(entry, dict) else entry
                if isinstance(path, str) and "$" not in path:
                    found.append(os.path.join(base, os.path.expanduser(path)))
    return found
