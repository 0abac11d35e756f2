"""Read one Compose file: YAML 1.2 scalars, positions of every node, merge tags.

PyYAML composes the node graph (with libyaml when present); this module builds
plain Python values from it itself, so that scalars follow YAML 1.2 (no base-60
numbers, ``yes``/``no``/``on``/``off`` stay strings), duplicate keys are caught,
``<<`` merge keys work, ``!reset``/``!override`` are recorded and the line and
column of each key is kept in a :class:`SourceMap`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from composer.errors import ConfigError, Location
from composer.spec.source import KeyPath, SourceMap
from composer.spec.yamlerrors import syntax_error

log = logging.getLogger(__name__)

RESET = "reset"
OVERRIDE = "override"
_PLAIN = "!plain"

# An alias bomb expands a small file into a huge tree; refuse before walking it.
MAX_EXPANDED_NODES = 2_000_000
_BOMB_RATIO = 50
_BOMB_FLOOR = 200_000

_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_OCT_DIGITS = re.compile(r"0[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}
_NEG_INF = {"-.inf", "-.Inf", "-.INF"}
_NAN = {".nan", ".NaN", ".NAN"}
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}


@dataclass
class YamlDocument:
    """One file's data with the positions of its nodes and its merge tags."""

    data: Any
    source: SourceMap
    tags: dict[KeyPath, str] = field(default_factory=dict)


class _Resolver(yaml.resolver.BaseResolver):
    """Marks plain scalars so that they are typed by YAML 1.2 rules later."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """Return a sentinel tag for plain scalars, the default otherwise."""
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


_Parser: Any
try:
    from yaml import cyaml

    _Parser = getattr(cyaml, "CParser", None)
except ImportError:  # pragma: no cover - libyaml is normally present
    _Parser = None
if _Parser is not None:

    class _Loader(_Parser, _Resolver):  # type: ignore[misc]
        """libyaml parser and composer with our resolver."""

        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            _Resolver.__init__(self)

else:  # pragma: no cover - libyaml is normally present

    class _Loader(  # type: ignore[no-redef]
        yaml.reader.Reader,
        yaml.scanner.Scanner,
        yaml.parser.Parser,
        yaml.composer.Composer,
        _Resolver,
    ):
        """Pure-Python parser and composer with our resolver."""

        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _Resolver.__init__(self)


def _byte_location(raw: bytes, offset: int, file: str) -> Location:
    """The 1-based line and column of byte ``offset`` in ``raw``."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return Location(file, raw.count(b"\n", 0, offset) + 1, offset - line_start + 1)


def decode(raw: bytes, file: str) -> str:
    """Decode a file's bytes as UTF-8 text, or fail with a clean error."""
    if b"\x00" in raw:
        raise ConfigError.at(
            "C101",
            "file is not a text file (it contains a NUL byte)",
            _byte_location(raw, raw.index(b"\x00"), file),
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = _byte_location(raw, exc.start, file)
        raise ConfigError.at(
            "C101",
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            where,
            hint="save the file with UTF-8 encoding",
        ) from exc


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document into plain values, positions and merge tags."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise syntax_error(exc, text, file) from exc
    except yaml.YAMLError as exc:
        raise ConfigError.at("C102", f"invalid YAML: {exc}", Location(file)) from exc
    finally:
        loader.dispose()
    if node is None:
        return YamlDocument(None, SourceMap(file, {}))
    # Without an alias (no "*") nothing is shared, and each node takes about a
    # character of text at least, so on a text this short no walk can find more
    # than MAX_EXPANDED_NODES nodes.
    if "*" in text or len(text) > MAX_EXPANDED_NODES // 2:
        _check_expansion(node, file)
    builder = _Builder(file)
    data = builder.build(node, ())
    builder.marks[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
    return YamlDocument(data, SourceMap(file, builder.marks), builder.tags)


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Refuse a document whose aliases expand to a huge tree (alias bomb)."""
    sizes: dict[int, int] = {}
    unique = 0

    def size(node: yaml.Node) -> int:
        """Nodes under ``node`` with aliases expanded (memoised)."""
        nonlocal unique
        known = sizes.get(id(node))
        if known is not None:
            return known
        unique += 1
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                total += size(key) + size(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
        sizes[id(node)] = total
        return total

    expanded = size(root)
    if expanded > MAX_EXPANDED_NODES or (
        expanded > _BOMB_FLOOR and expanded > _BOMB_RATIO * unique
    ):
        raise ConfigError.at(
            "C103",
            f"aliases expand to {expanded} nodes from {unique}: refusing a "
            "document that looks like an alias bomb",
            Location(file, root.start_mark.line + 1, root.start_mark.column + 1),
            hint="use fewer nested aliases",
        )


def _scalar(node: yaml.ScalarNode) -> Any:
    """Type one scalar by YAML 1.2 core schema rules."""
    value: str = node.value
    tag = node.tag
    if tag == _PLAIN:
        return _plain(value)
    if tag.endswith(":int"):
        try:
            return int(value, 0)
        except ValueError:
            return value
    if tag.endswith(":float"):
        try:
            return float(value)
        except ValueError:
            return value
    if tag.endswith(":bool"):
        return value in _TRUE
    if tag.endswith(":null"):
        return None
    if tag in ("!reset", "!override"):
        return _plain(value) if node.style is None else value
    return value


def _plain(value: str) -> Any:
    """Type a plain (unquoted) scalar."""
    if value in _NULLS:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    first = value[0]
    if first.isdigit() or first in "+-.":
        if _INT.fullmatch(value):
            digits = value.lstrip("+-")
            if len(digits) > 1 and digits[0] == "0" and _OCT_DIGITS.fullmatch(digits):
                # Compose's YAML library reads a leading zero as octal.
                number = int(digits, 8)
                return -number if value.startswith("-") else number
            if len(digits) == 1 or digits[0] != "0":
                return int(value)
        if _OCT.fullmatch(value):
            return int(value[2:], 8)
        if _HEX.fullmatch(value):
            return int(value[2:], 16)
        if _FLOAT.fullmatch(value):
            return float(value)
        if value in _INF:
            return float("inf")
        if value in _NEG_INF:
            return float("-inf")
        if value in _NAN:
            return float("nan")
    return value


def _key_text(value: Any) -> str:
    """A mapping key as the string Compose sees."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


class _Builder:
    """Turns a node graph into plain values, recording positions and tags."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[KeyPath, tuple[int, int]] = {}
        self.tags: dict[KeyPath, str] = {}

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        """Build the value of ``node`` found at ``path``."""
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            out: list[Any] = []
            for item in node.value:
                if item.tag == "!reset":
                    continue
                sub = (*path, len(out))
                self.marks[sub] = (item.start_mark.line + 1, item.start_mark.column + 1)
                out.append(self.build(item, sub))
            return out
        return self._mapping(node, path)

    def _mapping(self, node: yaml.Node, path: KeyPath) -> dict[str, Any]:
        merges = [
            value
            for key, value in node.value
            if key.tag == _PLAIN and key.value == "<<"
        ]
        out: dict[str, Any] = self._merge_keys(merges, path) if merges else {}
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError.at(
                    "C104",
                    "a mapping key must be a scalar",
                    self._loc(key_node),
                )
            if key_node.tag == _PLAIN and key_node.value == "<<":
                continue
            key = _key_text(_scalar(key_node))
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConfigError.at(
                    "C105",
                    f'mapping key "{key}" already defined at line {seen[key]}',
                    self._loc(key_node),
                    hint="remove one of them; use !override in an override file",
                )
            seen[key] = line
            sub = (*path, key)
            self.marks[sub] = (line, key_node.start_mark.column + 1)
            if value_node.tag == "!reset":
                self.tags[sub] = RESET
                continue
            if value_node.tag == "!override":
                self.tags[sub] = OVERRIDE
            out[key] = self.build(value_node, sub)
        return out

    def _merge_keys(self, merges: list[yaml.Node], path: KeyPath) -> dict[str, Any]:
        """Values of ``<<`` merge keys; earlier sources win, explicit keys later."""
        sources: list[yaml.Node] = []
        for value in merges:
            if isinstance(value, yaml.SequenceNode):
                sources.extend(value.value)
            else:
                sources.append(value)
        merged: dict[str, Any] = {}
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise ConfigError.at(
                    "C106",
                    "a merge key (<<) needs a mapping or a list of mappings",
                    self._loc(source),
                )
            for key, value in self._mapping(source, path).items():
                merged.setdefault(key, value)
        return merged

    def _loc(self, node: yaml.Node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)
