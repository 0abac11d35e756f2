"""Warnings about one Compose file: valid input that is probably a mistake.

Codes:

- W001 the obsolete top-level ``version`` key
- W002 an environment variable name that a program could not read
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

from composer.errors import Diagnostic
from composer.spec.source import KeyPath, SourceMap, format_key

log = logging.getLogger(__name__)

# Docker accepts any name without `=`; dots and dashes are common (Java
# properties), so only characters no program could look up are warned about.
_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_INVALID_RUN = re.compile(r"[^A-Za-z0-9_.-]+")

# Places, relative to a service, that hold an ``environment`` of their own.
_HOOK_LISTS = ("post_start", "pre_start", "pre_stop")


def lint_document(doc: Any, source: SourceMap) -> list[Diagnostic]:
    """Return warnings for one Compose file (after interpolation, before merge)."""
    if not isinstance(doc, Mapping):
        return []
    found = list(_obsolete_version(doc, source))
    services = doc.get("services")
    if isinstance(services, Mapping):
        for name, service in services.items():
            if isinstance(service, Mapping):
                found.extend(_service_environments(str(name), service, source))
    log.debug("lint of %s: %d warning(s)", source.file, len(found))
    return found


def is_valid_variable_name(name: str) -> bool:
    """Tell whether ``name`` is an environment variable name a program can read."""
    return _VALID_NAME.match(name) is not None


def suggest_variable_name(name: str) -> str | None:
    """Return a valid spelling of an invalid variable name, if one is obvious."""
    cleaned = _INVALID_RUN.sub("_", name.strip()).strip("_")
    if cleaned and cleaned[0].isdigit():
        cleaned = "_" + cleaned
    if cleaned and cleaned != name and is_valid_variable_name(cleaned):
        return cleaned
    return None


def _obsolete_version(
    doc: Mapping[str, Any], source: SourceMap
) -> Iterator[Diagnostic]:
    """Warn about the top-level ``version`` key."""
    if "version" not in doc:
        return
    yield Diagnostic(
        "W001",
        "`version` is obsolete and ignored",
        source.locate(("version",)),
        "version",
        "remove the `version` line to avoid this warning",
        severity="warning",
    )


def _service_environments(
    name: str, service: Mapping[str, Any], source: SourceMap
) -> Iterator[Diagnostic]:
    """Warn about variable names in a service's and its hooks' environments."""
    base: KeyPath = ("services", name)
    yield from _environment(service.get("environment"), (*base, "environment"), source)
    for hooks in _HOOK_LISTS:
        entries = service.get(hooks)
        if not isinstance(entries, list):
            continue
        for index, hook in enumerate(entries):
            if isinstance(hook, Mapping):
                path = (*base, hooks, index, "environment")
                yield from _environment(hook.get("environment"), path, source)


def _environment(value: Any, path: KeyPath, source: SourceMap) -> Iterator[Diagnostic]:
    """Warn about each invalid name in one ``environment`` (list or mapping)."""
    if isinstance(value, Mapping):
        for key in value:
            yield from _check_name(str(key), (*path, str(key)), source)
    elif isinstance(value, list):
        for index, entry in enumerate(value):
            if isinstance(entry, str):
                variable = entry.split("=", 1)[0]
                yield from _check_name(variable, (*path, index), source)


def _check_name(name: str, path: KeyPath, source: SourceMap) -> Iterator[Diagnostic]:
    """Yield a warning if ``name`` is not a valid variable name."""
    if is_valid_variable_name(name) or "$" in name:
        # A `$` is only left when interpolation is off; the name is unknown.
        return
    suggestion = suggest_variable_name(name)
    message = f"`{name}` is not a valid variable name"
    if suggestion:
        message += f"; did you mean `{suggestion}`?"
    hint = "use letters, digits and `_`; spaces and other symbols cannot be read"
    yield Diagnostic(
        "W002", message, source.locate(path), format_key(path), hint, "warning"
    )
