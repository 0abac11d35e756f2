"""Turn jsonschema's structured errors into diagnostics a user can act on.

Messages are built from the error's validator, path, schema and instance;
the library's English text is never read.

Codes:

- S001 unknown key (with a did-you-mean hint)
- S002 wrong type (or a value that fits none of the allowed forms)
- S003 value not among the allowed values
- S004 required key missing
- S005 value does not have the required format
- S006 value out of range
- S007 wrong number of items or keys, or duplicate items
- S008 name not allowed (service, network, volume, ... names)
- S009 any other schema violation
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from composer.errors import Diagnostic
from composer.spec.source import KeyPath, SourceMap, format_key

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_TYPE_NOUNS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}

# Validators that only say "this is not the right kind of value".
_SHALLOW = frozenset({"type", "pattern", "anyOf", "oneOf", "const"})


def explain(error: ValidationError, source: SourceMap) -> Iterator[Diagnostic]:
    """Turn one jsonschema error into the diagnostics a user should read."""
    for leaf in _pick(error):
        yield from _explain_leaf(leaf, source)


def _explain_leaf(leaf: ValidationError, source: SourceMap) -> Iterator[Diagnostic]:
    """Turn one error about a single place into diagnostics."""
    path: KeyPath = tuple(leaf.absolute_path)
    schema = leaf.schema if isinstance(leaf.schema, Mapping) else {}
    kind = leaf.validator
    if kind == "additionalProperties":
        yield from _unknown_keys(leaf, path, schema, source)
    elif kind == "required":
        yield from _missing_keys(leaf, path, source)
    else:
        code, message, hint = _describe(leaf, schema)
        location = source.locate(path)
        yield Diagnostic(code, message, location, format_key(path) or None, hint)


def _pick(error: ValidationError) -> list[ValidationError]:
    """Return the relevant errors under an anyOf/oneOf failure.

    The branch whose errors go deeper into the value, or concern something
    other than the value's kind, is the form the user was writing: all its
    errors are reported.  If every branch failed on the kind alone, the
    anyOf/oneOf error itself is the best description.
    """
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branch = sub.relative_schema_path[0] if sub.relative_schema_path else None
        branches.setdefault(branch, []).append(sub)
    depth = len(error.absolute_path)

    def relevance(errors: list[ValidationError]) -> tuple[bool, bool, int]:
        deepest = max(len(e.absolute_path) for e in errors)
        meaningful = any(e.validator not in _SHALLOW for e in errors)
        return (deepest > depth, meaningful, deepest)

    best = max(branches.values(), key=relevance)
    if relevance(best)[:2] == (False, False):
        return [error]
    return [leaf for sub in best for leaf in _pick(sub)]


def _unknown_keys(
    error: ValidationError,
    path: KeyPath,
    schema: Mapping[str, Any],
    source: SourceMap,
) -> Iterator[Diagnostic]:
    """Yield one diagnostic per key the mapping at ``path`` does not allow."""
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    allowed = list(schema.get("properties", {}))
    patterns = list(schema.get("patternProperties", {}))
    extension_ok = "^x-" in patterns
    where = format_key(path)
    for key in _extra_keys(instance, allowed, patterns):
        key_path = (*path, key)
        location = source.locate(key_path)
        if not allowed:
            yield Diagnostic(
                "S008",
                f"`{key}` is not a valid name under `{where}`; names may use "
                "only letters, digits, `.`, `_` and `-`",
                location,
                format_key(key_path),
                _name_hint(key),
            )
            continue
        message = (
            f"unknown key `{key}` in `{where}`"
            if where
            else f"unknown top-level key `{key}`"
        )
        hint = _did_you_mean(key, allowed)
        if hint is None and extension_ok:
            hint = "extension keys must start with `x-`"
        yield Diagnostic("S001", message, location, format_key(key_path), hint)


def _extra_keys(
    instance: Mapping[str, Any], allowed: list[str], patterns: list[str]
) -> Iterator[str]:
    """Yield the keys of ``instance`` that neither properties nor patterns cover."""
    compiled = [re.compile(p) for p in patterns]
    for key in instance:
        if key in allowed:
            continue
        if any(c.search(key) for c in compiled):
            continue
        yield key


def _did_you_mean(key: str, allowed: Iterable[str]) -> str | None:
    """Return a 'did you mean' hint for a mistyped key, if one is close."""
    choices = list(allowed)
    squashed = key.strip().lower().replace(" ", "_").replace("-", "_")
    if squashed in choices:
        return f"did you mean `{squashed}`?"
    import difflib  # only when a key is wrong

    close = difflib.get_close_matches(key.lower(), choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    return None


def _name_hint(name: str) -> str | None:
    """Suggest a valid spelling of a service/network/volume name."""
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    cleaned = cleaned.strip("_")
    if cleaned and cleaned != name:
        return f"did you mean `{cleaned}`?"
    return None


def _missing_keys(
    error: ValidationError, path: KeyPath, source: SourceMap
) -> Iterator[Diagnostic]:
    """Yield one diagnostic per required key missing from the mapping."""
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    required = error.validator_value if isinstance(error.validator_value, list) else []
    where = format_key(path) or "the top level"
    for key in required:
        if key in instance:
            continue
        yield Diagnostic(
            "S004",
            f"missing required key `{key}` in `{where}`",
            source.locate(path),
            format_key(path) or None,
            f"add `{key}:` to `{where}`",
        )


def _describe(
    error: ValidationError, schema: Mapping[str, Any]
) -> tuple[str, str, str | None]:
    """Return code, message and hint for an error about a single value."""
    where = _short(tuple(error.absolute_path))
    got = _show(error.instance)
    kind = error.validator
    value: Any = error.validator_value

    if kind in ("type", "anyOf", "oneOf", "pattern") and (
        kind != "oneOf" or error.context
    ):
        if kind == "pattern" and "title" not in schema:
            return (
                "S005",
                f"{where} has an invalid value {got}",
                f"the value must match the pattern `{value}`",
            )
        expected = _expected(schema, value if kind == "type" else None)
        # A string of the wrong shape where only strings fit (a duration, a
        # size) is a format error; a word where a number or boolean belongs
        # is a type error even though interpolation lets strings through.
        code = "S005" if kind == "pattern" else "S002"
        hint = None
        if error.instance == "":
            hint = "the value is empty: is a variable used here unset?"
        return code, f"{where} must be {expected}, not {got}", hint
    if kind in ("enum", "const"):
        options = list(value) if kind == "enum" else [value]
        listed = ", ".join(f"`{o}`" for o in options)
        hint = None
        if isinstance(error.instance, str):
            hint = _did_you_mean(error.instance, [str(o) for o in options])
        return "S003", f"{where} is {got}; allowed values: {listed}", hint
    if kind in ("minimum", "exclusiveMinimum"):
        return "S006", f"{where} must be at least {value}, not {got}", None
    if kind in ("maximum", "exclusiveMaximum"):
        return "S006", f"{where} must be at most {value}, not {got}", None
    if kind in ("minItems", "maxItems", "minProperties", "maxProperties"):
        return (
            "S007",
            f"{where} has the wrong number of entries ({kind} {value})",
            None,
        )
    if kind == "uniqueItems":
        return "S007", f"{where} has duplicate entries", "remove the repeated items"
    if kind == "format":
        return "S005", f"{where} is {got}, which is not a valid {value}", None
    if kind == "oneOf":
        return "S009", f"{where} matches more than one allowed form", None
    return "S009", f"{where} is not valid here ({kind})", None


def _short(path: KeyPath) -> str:
    """Name the value at ``path`` by its last key and any list indices after it."""
    if not path:
        return "the file"
    start = len(path) - 1
    while start > 0 and isinstance(path[start], int):
        start -= 1
    return f"`{format_key(path[start:])}`"


def _expected(schema: Mapping[str, Any], types: Any) -> str:
    """Return what the schema expects at this place, in words."""
    title = schema.get("title")
    if isinstance(title, str):
        return title
    if isinstance(types, str):
        types = [types]
    if isinstance(types, list) and types:
        nouns = [_TYPE_NOUNS.get(str(t), str(t)) for t in types]
        return (
            nouns[0] if len(nouns) == 1 else ", ".join(nouns[:-1]) + " or " + nouns[-1]
        )
    return "one of the allowed forms"


def _show(value: Any) -> str:
    """Describe a value briefly for a message: its kind and a short excerpt."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean (`{'true' if value else 'false'}`)"
    if isinstance(value, int | float):
        return f"a number (`{value}`)"
    if value == "":
        return "an empty string"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"the string `{text}`"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"
