"""Read one Compose file into interpolated, validated, canonical data."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from composer.errors import ConfigError, Diagnostic, Location
from composer.spec.canonical import ItemError, canonical_service
from composer.spec.interpolate import copy_values, interpolate
from composer.spec.lint import lint_document
from composer.spec.source import KeyPath, SourceMap, format_key
from composer.spec.validate import validate_document
from composer.spec.yamlload import decode, parse_yaml

log = logging.getLogger(__name__)

Validator = Callable[[Any, SourceMap], list[Diagnostic]]


@dataclass
class LoadedFile:
    """One file after YAML, interpolation, validation and canonical forms."""

    path: str
    data: dict[str, Any]
    source: SourceMap
    tags: dict[KeyPath, str]
    warnings: list[Diagnostic] = field(default_factory=list)


@dataclass
class FileReader:
    """Reads files with one environment; caches so extends reads each once.

    ``read_files`` records, in order, every file read through this reader or
    a reader derived from it (``-`` excepted), so the project can name them.
    """

    environ: Mapping[str, str]
    interpolate: bool = True
    validator: Validator | None = validate_document
    linter: Validator | None = lint_document
    cache: dict[str, LoadedFile] = field(default_factory=dict)
    stdin_text: str | None = None
    read_files: dict[str, None] = field(default_factory=dict)

    def read(self, path: str) -> LoadedFile:
        """Load ``path`` (``-`` is standard input)."""
        cached = self.cache.get(path)
        if cached is not None:
            return cached
        self.note(path)
        loaded = self._load(path)
        self.cache[path] = loaded
        return loaded

    def note(self, path: str) -> None:
        """Record ``path`` as a file the project depends on."""
        if path != "-":
            self.read_files.setdefault(path, None)

    def derive(self, environ: Mapping[str, str]) -> FileReader:
        """A reader with another environment that records into the same list."""
        return FileReader(
            environ,
            self.interpolate,
            self.validator,
            self.linter,
            stdin_text=self.stdin_text,
            read_files=self.read_files,
        )

    def _text(self, path: str) -> tuple[str, str]:
        if path == "-":
            if self.stdin_text is None:
                self.stdin_text = sys.stdin.read()
            return self.stdin_text, "<stdin>"
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            raise ConfigError.at(
                "C100", f"cannot read file: {exc.strerror}", Location(path)
            ) from exc
        return decode(raw, path), path

    def _load(self, path: str) -> LoadedFile:
        text, name = self._text(path)
        doc = parse_yaml(text, name)
        if doc.data is None:
            raise ConfigError.at(
                "C107", "empty compose file", Location(name), hint="add a services: key"
            )
        if not isinstance(doc.data, dict):
            raise ConfigError.at(
                "C108",
                "top-level object must be a mapping",
                doc.source.locate(()),
            )
        warnings: list[Diagnostic] = []
        if self.interpolate:
            unset: dict[str, KeyPath] = {}
            data = interpolate(doc.data, self.environ, doc.source, unset)
            warnings.extend(
                Diagnostic(
                    "C112",
                    f'the "{var}" variable is not set; defaulting to a blank string',
                    doc.source.locate(path),
                    format_key(path),
                    severity="warning",
                )
                for var, path in sorted(unset.items())
            )
        else:
            data = copy_values(doc.data)
        if self.linter is not None:
            warnings.extend(self.linter(data, doc.source))
        if self.validator is not None:
            found = self.validator(data, doc.source)
            errors = tuple(d for d in found if d.severity == "error")
            warnings.extend(d for d in found if d.severity != "error")
            if errors:
                summary = f"{name}: {len(errors)} error(s) in the Compose file"
                raise ConfigError(summary, errors + tuple(warnings))
        data.pop("version", None)
        services = data.get("services")
        if isinstance(services, dict):
            data["services"] = {
                svc_name: _canonical(svc_name, svc, doc.source)
                for svc_name, svc in services.items()
            }
        source = SourceMap(doc.source.file, _named_marks(data, doc.source.marks))
        return LoadedFile(path, data, source, doc.tags, warnings)


def _canonical(name: str, svc: Any, source: SourceMap) -> Any:
    """The long form of one service; errors point at the entry, or the service."""
    if not isinstance(svc, dict):
        return svc
    try:
        return canonical_service(svc)
    except ConfigError as exc:
        diag = exc.diagnostics[0] if exc.diagnostics else None
        message = diag.message if diag else exc.message
        path = ("services", name, *(exc.path if isinstance(exc, ItemError) else ()))
        raise ConfigError.at(
            diag.code if diag else "C100",
            f'service "{name}": {message}',
            source.locate(path),
            format_key(path),
            diag.hint if diag else None,
        ) from exc


def directory_of(path: str, fallback: str) -> str:
    """The directory relative paths in ``path`` are resolved against."""
    return fallback if path == "-" else os.path.dirname(path)


_LIST_TO_NAMES = ("depends_on", "networks", "environment", "labels")


def _named_marks(
    data: Mapping[str, Any], marks: Mapping[KeyPath, tuple[int, int]]
) -> dict[KeyPath, tuple[int, int]]:
    """Add positions by name for entries written in list form.

    ``depends_on: [db]`` becomes ``depends_on: {db: ...}``; the checks report
    on ``depends_on.db``, which must point at the list item's line.
    """
    out = dict(marks)
    for name, svc in (data.get("services") or {}).items():
        if not isinstance(svc, dict):
            continue
        for key in _LIST_TO_NAMES:
            base = ("services", name, key)
            for i, entry in enumerate(svc.get(key) or ()):
                mark = marks.get((*base, i))
                if mark is None:
                    break
                out.setdefault((*base, entry), mark)
    return out
