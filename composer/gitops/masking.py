"""Which values of a project are secret, and a plan with those values masked.

Secret are: the contents of ``secrets`` files, every value read from an
``env_file``, and variables and build arguments whose names look secret
(``*PASSWORD*``, ``*TOKEN*``, ``*SECRET*``, ``*KEY*``).  A masked field still
shows that it changed; only its values are hidden.  Progress events (build
output, engine errors) pass through ``MaskedReporter``, which hides the same
values wherever they appear in a line.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from composer.engine.report import Event, Reporter
from composer.errors import ConfigError
from composer.plan.model import MASK, FieldDiff, Plan, Step, secret_name
from composer.spec.dotenv import read_env_file
from composer.spec.project import LoadOptions, Project
from composer.watch.sources import project_sources

log = logging.getLogger(__name__)

#: Shorter values are too common to hide wherever they appear in text.
_MIN_VALUE = 4


@dataclass(frozen=True)
class Secrets:
    """Names of secret variables and the secret values themselves."""

    names: frozenset[str] = frozenset()
    values: frozenset[str] = frozenset()

    def hides(self, path: str, value: Any) -> bool:
        """Whether a field at ``path`` holding ``value`` must be masked."""
        head, _, name = path.partition(".")
        if head == "environment" and (secret_name(name) or name in self.names):
            return True
        if value is None:
            return False
        text = value if isinstance(value, str) else repr(value)
        return any(secret in text for secret in self.values)

    def scrub(self, text: str) -> str:
        """``text`` with every secret value replaced by the mask."""
        for secret in sorted(self.values, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text


def secrets_of(project: Project) -> Secrets:
    """Collect the secret names and values of a loaded project."""
    names: set[str] = set()
    values: set[str] = set()
    for spec in project.section("secrets").values():
        if not isinstance(spec, Mapping):
            continue
        path, variable = spec.get("file"), spec.get("environment")
        content = _read(str(path)) if path else None
        if variable and project.environment.get(str(variable)):
            content = project.environment[str(variable)]
        if content:
            values.update(_pieces(content))
    for path in _env_files(project):
        try:
            found = read_env_file(path, project.environment)
        except ConfigError:
            continue
        names.update(found)
        values.update(v for v in found.values() if v)
    for service in project.services.values():
        env = service.get("environment") or {}
        build = service.get("build")
        args = build.get("args") if isinstance(build, Mapping) else None
        for variables in (env, args or {}):
            if not isinstance(variables, Mapping):
                continue
            for key, value in variables.items():
                if secret_name(str(key)) and value:
                    values.add(str(value))
    return Secrets(
        frozenset(names), frozenset(v for v in values if len(v) >= _MIN_VALUE)
    )


def mask_plan(plan: Plan, secrets: Secrets, show_values: bool = False) -> Plan:
    """The plan with secret values flagged for masking (none with show_values)."""
    steps = tuple(_step(step, secrets, show_values) for step in plan.steps)
    if show_values:
        return dataclasses.replace(plan, steps=steps)
    return dataclasses.replace(
        plan,
        steps=steps,
        problems=tuple(secrets.scrub(p) for p in plan.problems),
        warnings=tuple(secrets.scrub(w) for w in plan.warnings),
    )


class MaskedReporter:
    """Passes progress events on with secret values hidden in their text.

    ``secrets`` is asked for the current secrets at each event, so a loop can
    follow the project as it is reloaded.
    """

    def __init__(self, inner: Reporter, secrets: Callable[[], Secrets]) -> None:
        self.inner = inner
        self.secrets = secrets

    def event(self, event: Event) -> None:
        """Scrub the event's text, then hand it on."""
        text = self.secrets().scrub(event.text)
        if text != event.text:
            event = dataclasses.replace(event, text=text)
        self.inner.event(event)


def masked_reporter(
    reporter: Reporter, secrets: Secrets, show_values: bool = False
) -> Reporter:
    """``reporter`` behind a MaskedReporter, unless values are to be shown."""
    if show_values or not secrets.values:
        return reporter
    return MaskedReporter(reporter, lambda: secrets)


class CurrentSecrets:
    """The secrets of whatever project a loop holds now, collected once each."""

    def __init__(self, current: Callable[[], Project | None]) -> None:
        self.current = current
        self._seen: tuple[Project, Secrets] | None = None

    def __call__(self) -> Secrets:
        """The secrets of the current project (none before the first load)."""
        project = self.current()
        if project is None:
            return Secrets()
        seen = self._seen
        if seen is None or seen[0] is not project:
            seen = self._seen = (project, secrets_of(project))
        return seen[1]


def _step(step: Step, secrets: Secrets, show_values: bool) -> Step:
    diffs = tuple(_diff(d, secrets, show_values) for d in step.diffs)
    reason = step.reason if show_values else secrets.scrub(step.reason)
    return dataclasses.replace(step, diffs=diffs, reason=reason)


def _diff(diff: FieldDiff, secrets: Secrets, show_values: bool) -> FieldDiff:
    if show_values:
        sensitive = False
    else:
        sensitive = (
            diff.sensitive
            or secrets.hides(diff.path, diff.old)
            or secrets.hides(diff.path, diff.new)
        )
    return dataclasses.replace(diff, sensitive=sensitive)


def _env_files(project: Project) -> Iterable[str]:
    """The env files of the project's services."""
    recorded: Iterable[str] | None = getattr(project, "env_files", None)
    if recorded is not None:  # the loader records them (issue 3)
        yield from (path for path in recorded if os.path.isfile(path))
        return
    sources = project_sources(project, LoadOptions(cwd=project.working_dir))
    for path in sorted(sources.files):
        name = os.path.basename(path)
        if path in project.config_files or path in project.source_files:
            continue
        if name == ".env" and os.path.dirname(path) == project.working_dir:
            continue  # interpolation variables, not container environment
        if os.path.isfile(path) and not _is_secret_or_config(project, path):
            yield path


def _is_secret_or_config(project: Project, path: str) -> bool:
    for section in ("secrets", "configs"):
        for spec in project.section(section).values():
            if isinstance(spec, Mapping) and spec.get("file") == path:
                return True
    return False


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError):
        log.debug("secret file %s is unreadable; not masked by value", path)
        return None


def _pieces(content: str) -> set[str]:
    """The whole content, and each non-empty line of it."""
    out = {content.strip()}
    out.update(line.strip() for line in content.splitlines() if line.strip())
    return out
