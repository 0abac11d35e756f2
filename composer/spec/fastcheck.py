"""A fast yes/no check of a document against composer's schema.

jsonschema is the authority on what is wrong and where; it is also slow on
large files (about 2 ms per service).  This module compiles the subset of JSON
Schema that ``schemas/compose-spec.json`` uses into plain Python predicates, so
that a valid file is accepted quickly and jsonschema only runs on the parts of
a file that failed.  A keyword this compiler does not know makes it refuse the
schema (``SchemaNotSupported``), and callers then use jsonschema alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

# Keywords that only annotate and never make a value invalid.
_ANNOTATIONS = frozenset(
    {"title", "description", "$schema", "$id", "$defs", "$comment"}
)


class SchemaNotSupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


_CLASSES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


class Compiler:
    """Turns a JSON Schema (the supported subset) into a predicate."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self._root = root
        self._refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        """Return a predicate telling whether a value satisfies ``schema``."""
        if schema is True or schema == {}:
            return _accept
        if schema is False:
            return _reject
        if not isinstance(schema, Mapping):
            raise SchemaNotSupported(f"schema node {schema!r}")
        unknown = set(schema) - _ANNOTATIONS - set(_KEYWORDS)
        if unknown:
            raise SchemaNotSupported(", ".join(sorted(unknown)))
        checks = [
            _KEYWORDS[key](self, schema[key], schema)
            for key in schema
            if key in _KEYWORDS
        ]
        checks = [c for c in checks if c is not _accept]
        if not checks:
            return _accept
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            first, second = checks
            return lambda v: first(v) and second(v)
        return lambda v: all(check(v) for check in checks)

    def ref(self, target: str) -> Check:
        """Return the predicate of a local reference, compiled once."""
        if target not in self._refs:
            if not target.startswith("#/"):
                raise SchemaNotSupported(f"$ref {target}")
            node: Any = self._root
            for part in target[2:].split("/"):
                node = node[part]
            cell: list[Check] = []
            self._refs[target] = lambda v: cell[0](v)
            cell.append(self.compile(node))
            self._refs[target] = cell[0]
        return self._refs[target]


def _accept(value: Any) -> bool:
    return True


def _reject(value: Any) -> bool:
    return False


def _type(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    # Exact classes on purpose: anything unusual (a subclass, a bool where
    # an integer is expected) takes the slow, authoritative path.
    names = [value] if isinstance(value, str) else list(value)
    exact = frozenset(cls for name in names for cls in _CLASSES[name])
    if "integer" in names and "number" not in names:
        return lambda v: type(v) in exact or (type(v) is float and v.is_integer())
    return lambda v: type(v) in exact


def _properties(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    props = {name: c.compile(sub) for name, sub in value.items()}
    patterns = [
        (_literal_prefix(p), re.compile(p).search, c.compile(sub))
        for p, sub in schema.get("patternProperties", {}).items()
    ]
    extra = c.compile(schema.get("additionalProperties", True))
    # Patterns that also match a declared property name, found once here.
    also = {
        name: [sub for prefix, search, sub in patterns if _hits(prefix, search, name)]
        for name in props
    }

    def check(v: Any) -> bool:
        if type(v) is not dict:
            return not isinstance(v, Mapping)
        for key, item in v.items():
            if type(key) is not str:
                return False
            prop = props.get(key)
            if prop is not None:
                if not prop(item):
                    return False
                for sub in also[key]:
                    if not sub(item):
                        return False
                continue
            matched = False
            for prefix, search, sub in patterns:
                hit = key.startswith(prefix) if prefix else search(key) is not None
                if hit:
                    matched = True
                    if not sub(item):
                        return False
            if not matched and not extra(item):
                return False
        return True

    return check


def _hits(prefix: str | None, search: Callable[[str], Any], key: str) -> bool:
    """Tell whether a patternProperties pattern matches ``key``."""
    return key.startswith(prefix) if prefix else search(key) is not None


def _literal_prefix(pattern: str) -> str | None:
    """Return ``x-`` for ``^x-``: a pattern that only asks for a literal prefix."""
    if re.fullmatch(r"\^[A-Za-z0-9_-]+", pattern):
        return pattern[1:]
    return None


def _merged_elsewhere(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    """patternProperties/additionalProperties are checked with ``properties``."""
    if "properties" in schema:
        return _accept
    return _properties(c, {}, schema)


def _additional(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    if "properties" in schema or "patternProperties" in schema:
        return _accept
    return _properties(c, {}, schema)


def _items(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    sub = c.compile(value)

    def check(v: Any) -> bool:
        if type(v) is list:
            for item in v:
                if not sub(item):
                    return False
        return True

    return check


def _required(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    names = list(value)
    return lambda v: not isinstance(v, dict) or all(n in v for n in names)


def _enum(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    if not all(isinstance(o, str) for o in value):
        raise SchemaNotSupported("enum of non-strings")
    options = frozenset(value)
    return lambda v: type(v) is str and v in options


def _const(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _enum(c, [value], schema)


def _any_of(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    subs = [c.compile(s) for s in value]

    def check(v: Any) -> bool:
        for sub in subs:  # noqa: SIM110 - a plain loop is faster than any()
            if sub(v):
                return True
        return False

    return check


def _one_of(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    subs = [c.compile(s) for s in value]
    return lambda v: sum(1 for s in subs if s(v)) == 1


def _pattern(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    search = re.compile(value).search
    return lambda v: type(v) is not str or search(v) is not None


def _minimum(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    limit = value

    def check(v: Any) -> bool:
        if type(v) is int or type(v) is float:
            return bool(v >= limit)
        return True

    return check


def _maximum(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    limit = value

    def check(v: Any) -> bool:
        if type(v) is int or type(v) is float:
            return bool(v <= limit)
        return True

    return check


def _ref(c: Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return c.ref(str(value))


_KEYWORDS: dict[str, Callable[[Compiler, Any, Mapping[str, Any]], Check]] = {
    "type": _type,
    "properties": _properties,
    "patternProperties": _merged_elsewhere,
    "additionalProperties": _additional,
    "items": _items,
    "required": _required,
    "enum": _enum,
    "const": _const,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "pattern": _pattern,
    "minimum": _minimum,
    "maximum": _maximum,
    "$ref": _ref,
}


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """Compile a whole schema (with local ``$ref``s) into one predicate."""
    return Compiler(schema).compile(schema)
