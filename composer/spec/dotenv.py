"""Parse dotenv files (``.env``, ``--env-file``, ``env_file:``) as Compose does.

Supported: ``KEY=value``, ``export KEY=value``, comments, inline comments after
unquoted values, single quotes (literal, may span lines), double quotes (escape
sequences, may span lines) and variable expansion in double-quoted and unquoted
values.  A bare ``KEY`` takes its value from the lookup environment, if set.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from composer.errors import ConfigError, Location
from composer.spec.interpolate import Substitution, TemplateError

log = logging.getLogger(__name__)

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$$"}
_KEY_STOP = frozenset("=:\n")


class _Reader:
    """A cursor over the text of one dotenv file."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text.replace("\r\n", "\n")
        self.file = file
        self.pos = 0

    def line(self) -> int:
        """The 1-based line of the cursor."""
        return self.text.count("\n", 0, self.pos) + 1

    def fail(self, message: str, at: int | None = None) -> ConfigError:
        """An error at ``at`` (the cursor by default): line and column."""
        pos = self.pos if at is None else at
        line = self.text.count("\n", 0, pos) + 1
        column = pos - self.text.rfind("\n", 0, pos)
        return ConfigError.at("C120", message, Location(self.file, line, column))


def parse_dotenv(
    text: str,
    file: str,
    lookup: Mapping[str, str] | None = None,
    expand: bool = True,
) -> dict[str, str]:
    """Return the variables a dotenv file defines, in order."""
    env: dict[str, str] = {}
    outer = lookup or {}
    reader = _Reader(text, file)
    src = reader.text
    nul = src.find("\0")
    if nul >= 0:
        raise reader.fail("NUL byte (\\0) in env file", nul)
    n = len(src)
    while reader.pos < n:
        start = reader.pos
        nl = src.find("\n", start)
        line_end = n if nl < 0 else nl
        stripped = src[start:line_end].strip()
        if not stripped or stripped.startswith("#"):
            reader.pos = line_end + 1
            continue
        reader.pos = start + (
            len(src[start:line_end]) - len(src[start:line_end].lstrip())
        )
        if src.startswith("export ", reader.pos):
            reader.pos += len("export ")
            while reader.pos < n and src[reader.pos] in " \t":
                reader.pos += 1
        key_start = reader.pos
        while reader.pos < n and src[reader.pos] not in _KEY_STOP:
            reader.pos += 1
        key = src[key_start : reader.pos].strip()
        if reader.pos >= n or src[reader.pos] == "\n":
            if any(c.isspace() for c in key):
                raise reader.fail(f'key cannot contain a space: "{key}"', key_start)
            if key in outer:
                env[key] = outer[key]
            reader.pos += 1
            continue
        if not key:
            raise reader.fail(f"missing variable name before {src[reader.pos]}")
        if any(c.isspace() for c in key):
            raise reader.fail(f'key cannot contain a space: "{key}"', key_start)
        reader.pos += 1
        value = _value(reader, env, outer, expand)
        env[key] = value
    return env


def _value(
    reader: _Reader, env: Mapping[str, str], outer: Mapping[str, str], expand: bool
) -> str:
    src = reader.text
    n = len(src)
    while reader.pos < n and src[reader.pos] in " \t":
        reader.pos += 1
    start = reader.pos
    if reader.pos < n and src[reader.pos] in "'\"":
        quote = src[reader.pos]
        raw = _quoted(reader, quote)
        _skip_line(reader)
        if quote == "'":
            return raw.replace("\\'", "'")
        return _expand(reader, start, _unescape(raw), env, outer, expand)
    nl = src.find("\n", reader.pos)
    end = n if nl < 0 else nl
    raw = src[reader.pos : end]
    reader.pos = end + 1
    raw = _strip_comment(raw).strip()
    return _expand(reader, start, raw, env, outer, expand)


def _quoted(reader: _Reader, quote: str) -> str:
    src = reader.text
    start = reader.pos + 1
    i = start
    while i < len(src):
        ch = src[i]
        if ch == "\\" and (quote == '"' or src.startswith("'", i + 1)):
            i += 2
            continue
        if ch == quote:
            reader.pos = i + 1
            return src[start:i]
        i += 1
    raise reader.fail(f"unterminated quoted value (missing {quote})")


def _skip_line(reader: _Reader) -> None:
    nl = reader.text.find("\n", reader.pos)
    reader.pos = len(reader.text) if nl < 0 else nl + 1


def _strip_comment(raw: str) -> str:
    for i, ch in enumerate(raw):
        if ch == "#" and i > 0 and raw[i - 1] in " \t":
            return raw[:i]
    return raw


def _unescape(raw: str) -> str:
    """Resolve backslash escapes; an escaped ``$`` stays a literal dollar."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == "$" and i + 1 < len(raw) and raw[i + 1] == "$":
            out.append("$$")
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _expand(
    reader: _Reader,
    start: int,
    raw: str,
    env: Mapping[str, str],
    outer: Mapping[str, str],
    expand: bool,
) -> str:
    if not expand or "$" not in raw:
        return raw
    lookup = {**env, **outer}
    try:
        return Substitution(lookup).substitute(raw)
    except TemplateError as exc:
        raise reader.fail(f"{exc.message} in value", start) from exc


def read_env_file(
    path: str, lookup: Mapping[str, str] | None = None, expand: bool = True
) -> dict[str, str]:
    """Read and parse a dotenv file from disk with clean errors."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigError.at(
            "C121", f"cannot read env file: {exc.strerror}", Location(path)
        ) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise ConfigError.at(
            "C121",
            f"env file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            Location(path, line, column),
        ) from exc
    return parse_dotenv(text, path, lookup, expand)
