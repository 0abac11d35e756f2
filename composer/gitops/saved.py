"""Saved plans: a plan written to a file with what it was made against.

A saved plan records the plan, the options it was made with, a fingerprint of
the live state it was computed from and a digest of the files the project was
loaded from.  Applying it loads and observes again; when either no longer
matches, or planning again gives other steps, the plan is stale and refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from composer.engine.observe import Actual
from composer.errors import ApplyError, ConfigError
from composer.plan import Plan
from composer.spec.project import LoadOptions, Project
from composer.watch.sources import project_sources

log = logging.getLogger(__name__)

#: The format of saved plan files; bumped on incompatible changes.
FORMAT = 1


class StalePlanError(ApplyError):
    """A saved plan no longer matches the live state or the files."""

    code = "C310"


@dataclass(frozen=True)
class SavedOptions:
    """The planning choices a saved plan was made with."""

    services: tuple[str, ...] = ()
    remove_orphans: bool = False
    force_recreate: bool = False
    no_recreate: bool = False

    def to_json(self) -> dict[str, Any]:
        """As plain JSON data."""
        return {
            "services": list(self.services),
            "remove_orphans": self.remove_orphans,
            "force_recreate": self.force_recreate,
            "no_recreate": self.no_recreate,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SavedOptions:
        """Read the options back from a saved plan."""
        return cls(
            tuple(str(s) for s in data.get("services") or ()),
            bool(data.get("remove_orphans")),
            bool(data.get("force_recreate")),
            bool(data.get("no_recreate")),
        )


def save(masked: Plan, state: str, files: str, options: SavedOptions) -> str:
    """The content of a saved plan file; ``masked`` has its secrets hidden."""
    data = {
        "format": FORMAT,
        "project": masked.project,
        "fingerprint": {"state": state, "files": files},
        "options": options.to_json(),
        "plan": masked.to_json(),
    }
    return json.dumps(data, indent=2) + "\n"


def read_saved(path: str) -> dict[str, Any]:
    """Read a saved plan file; a clean error when it is not one."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read plan file {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigError(f"{path} is not a saved plan (invalid JSON)") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(
            f"{path} is not a saved plan of this composer (format {FORMAT})"
        )
    return data


def state_fingerprint(actual: Actual, images: Iterable[str] | None = None) -> str:
    """A digest of the live state that decides a plan.

    ``images`` limits the image references taken in (the project's own), so
    an unrelated image pulled on the same engine does not make a plan stale.
    """
    containers = sorted(
        (
            c.id,
            c.name,
            c.state,
            c.image_id,
            c.exit_code,
            sorted(c.labels.items()),
        )
        for c in actual.containers
    )
    networks = sorted((n.name, n.id) for n in actual.project_networks())
    volumes = sorted(v.name for v in actual.project_volumes())
    wanted = None if images is None else set(images)
    refs = sorted(
        (ref, ident)
        for ref, ident in actual.images.items()
        if wanted is None or ref in wanted
    )
    data = [actual.project, containers, networks, volumes, refs]
    return _sha(json.dumps(data, sort_keys=True, default=str))


def files_digest(project: Project) -> str:
    """A digest of the loaded project and every file it was loaded from."""
    parts = [json.dumps(project.model, sort_keys=True, default=str)]
    sources = project_sources(project, LoadOptions(cwd=project.working_dir))
    for path in sorted(sources.files):
        if os.path.isfile(path):
            with open(path, "rb") as fh:
                parts.append(f"{path}\0{hashlib.sha256(fh.read()).hexdigest()}")
    return _sha("\n".join(parts))


def check(saved: Mapping[str, Any], *, state: str, files: str, plan: Plan) -> None:
    """Raise StalePlanError unless the saved plan still holds."""
    printed = saved.get("fingerprint") or {}
    if printed.get("files") != files:
        raise StalePlanError(
            "the project's files changed since the plan was made; "
            "make a new plan with `composer plan --out`"
        )
    if printed.get("state") != state:
        raise StalePlanError(
            "the live state changed since the plan was made; "
            "make a new plan with `composer plan --out`"
        )
    steps = (saved.get("plan") or {}).get("steps")
    if steps != plan.to_json()["steps"]:
        raise StalePlanError(
            "planning again gives other steps than the saved plan; "
            "make a new plan with `composer plan --out`"
        )


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
