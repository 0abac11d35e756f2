"""Validate one Compose file against composer's own JSON Schema.

Every schema error of the file is reported at once (see schema_errors for
the codes).  A compiled fast check (fastcheck) accepts valid files quickly;
jsonschema then runs only on the entries that failed it, and stays the
authority on what is wrong and where.
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from composer.errors import Diagnostic
from composer.spec.fastcheck import Check, SchemaNotSupported, compile_schema
from composer.spec.schema_errors import explain
from composer.spec.source import SourceMap

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

log = logging.getLogger(__name__)

SCHEMA_RESOURCE = "schemas/compose-spec.json"


@functools.cache
def load_schema() -> dict[str, Any]:
    """Return composer's JSON Schema of a Compose file (read once per process).

    Read beside the package's modules when it is there (importing
    ``importlib.resources`` costs more than the read); through
    ``importlib.resources`` otherwise, for instance from a zip.
    """
    path = Path(__file__).resolve().parent.parent / SCHEMA_RESOURCE
    if path.is_file():
        text = path.read_text(encoding="utf-8")
    else:  # pragma: no cover - a zipped installation
        import importlib.resources

        resource = importlib.resources.files("composer").joinpath(SCHEMA_RESOURCE)
        text = resource.read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


# Top-level sections whose entries are checked one by one.
_SECTIONS = ("services", "networks", "volumes", "configs", "secrets", "models")


@functools.cache
def _validator() -> Draft202012Validator:
    """Return the jsonschema validator, built once per process."""
    # Imported here: only files that fail the fast check need jsonschema.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema())


@functools.cache
def _fast_check() -> Check | None:
    """Return the compiled yes/no check, or None if the schema is beyond it."""
    try:
        return compile_schema(load_schema())
    except SchemaNotSupported as exc:
        log.warning("schema fast path disabled: unsupported keyword %s", exc)
        return None


def validate_document(doc: Any, source: SourceMap) -> list[Diagnostic]:
    """Return every schema error of one Compose file, in file order."""
    try:
        found = _check(doc, source)
    except RecursionError:
        message = "the file is nested too deeply to be checked"
        return [Diagnostic("S009", message, source.locate(()))]
    log.debug("schema check of %s: %d error(s)", source.file, len(found))
    return found


def _check(doc: Any, source: SourceMap) -> list[Diagnostic]:
    """Run the fast check, then jsonschema on whatever failed it."""
    fast = _fast_check()
    if fast is not None and fast(doc):
        return []
    data = _plain(doc if fast is None else _failing_parts(doc, fast))
    found: dict[tuple[str, str | None, str], Diagnostic] = {}
    for error in _validator().iter_errors(data):
        for diag in explain(error, source):
            found.setdefault((diag.code, diag.key, diag.message), diag)
    return sorted(found.values(), key=_order)


def _failing_parts(data: Any, fast: Check) -> Any:
    """Return ``data`` keeping, in each large section, only entries that fail.

    jsonschema then reports on a small document with the same paths.
    """
    if not isinstance(data, Mapping):
        return data
    out = dict(data)
    for section in _SECTIONS:
        entries = data.get(section)
        if not isinstance(entries, Mapping):
            continue
        out[section] = {
            name: value
            for name, value in entries.items()
            if not fast({section: {name: value}})
        }
    return out


def _order(diag: Diagnostic) -> tuple[int, int, str]:
    """Sort key putting diagnostics in the order a reader meets them."""
    loc = diag.location
    return (loc.line or 0, loc.column or 0, diag.key or "")


def _plain(value: Any) -> Any:
    """Return ``value`` with string keys and JSON-like scalars only.

    YAML may produce integer, boolean or null keys and date scalars; Compose
    reads all of them as strings, and jsonschema needs string keys.
    """
    if isinstance(value, Mapping):
        return {_key_text(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _key_text(key: Any) -> str:
    """Return a mapping key as the string Compose would read."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, datetime.date):
        return key.isoformat()
    return str(key)
