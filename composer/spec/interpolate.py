"""Variable interpolation of Compose values: ``$VAR``, ``${VAR:-default}``, ``$$``.

A ``$`` followed by neither a name nor ``{`` stays literal; ``${`` must open a
valid expression.  Values are substituted, keys never.  After substitution
strings at typed paths (``deploy.replicas``, ``read_only``...) become numbers or
booleans, as Compose does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from composer.errors import ConfigError, Location
from composer.spec.source import KeyPath, SourceMap, format_key

log = logging.getLogger(__name__)

_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


class TemplateError(Exception):
    """A string is not a valid template; converted to ConfigError by callers."""

    def __init__(self, message: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.variable = variable


@dataclass
class Substitution:
    """Substitutes variables from one environment and remembers unset ones."""

    environ: Mapping[str, str]
    unset: set[str] = field(default_factory=set)

    def substitute(self, text: str) -> str:
        """Return ``text`` with every variable expression replaced."""
        if "$" not in text:
            return text
        out: list[str] = []
        i = 0
        n = len(text)
        while i < n:
            ch = text[i]
            if ch != "$" or i + 1 >= n:
                out.append(ch)
                i += 1
                continue
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
            elif nxt == "{":
                value, i = self._braced(text, i + 2)
                out.append(value)
            elif nxt in _NAME_START:
                end = i + 1
                while end < n and text[end] in _NAME_CHARS:
                    end += 1
                out.append(self._lookup(text[i + 1 : end]))
                i = end
            else:
                out.append("$")
                i += 1
        return "".join(out)

    def _lookup(self, name: str) -> str:
        value = self.environ.get(name)
        if value is None:
            self.unset.add(name)
            return ""
        return value

    def _braced(self, text: str, start: int) -> tuple[str, int]:
        """Evaluate ``${...}`` whose body starts at ``start``; return the end."""
        n = len(text)
        end = start
        if end < n and text[end] in _NAME_START:
            end += 1
            while end < n and text[end] in _NAME_CHARS:
                end += 1
        name = text[start:end]
        if not name:
            raise TemplateError("invalid interpolation format")
        if end < n and text[end] == "}":
            return self._lookup(name), end + 1
        op = next((o for o in _OPERATORS if text.startswith(o, end)), None)
        if op is None:
            raise TemplateError("invalid interpolation format")
        arg_start = end + len(op)
        close = _matching_brace(text, arg_start)
        if close < 0:
            raise TemplateError("invalid interpolation format")
        arg = text[arg_start:close]
        return self._apply(name, op, arg), close + 1

    def _apply(self, name: str, op: str, arg: str) -> str:
        value = self.environ.get(name)
        empty = value is None or (op.startswith(":") and value == "")
        if op in (":-", "-"):
            return self.substitute(arg) if empty else str(value)
        if op in (":?", "?"):
            if empty:
                detail = self.substitute(arg)
                message = f"required variable {name} is missing a value"
                if detail:
                    message += f": {detail}"
                raise TemplateError(message, name)
            return str(value)
        return "" if empty else self.substitute(arg)


def _matching_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing a ``${`` whose argument starts at ``start``."""
    depth = 0
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "$" and i + 1 < n and text[i + 1] == "$":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


_BOOL_TRUE = {"true", "yes", "y", "on"}
_BOOL_FALSE = {"false", "no", "n", "off"}


def _to_bool(value: str) -> Any:
    low = value.lower()
    if low in _BOOL_TRUE:
        return True
    if low in _BOOL_FALSE:
        return False
    return value


def _to_int(value: str) -> Any:
    try:
        return int(value)
    except ValueError:
        return value


def _to_float(value: str) -> Any:
    try:
        return float(value)
    except ValueError:
        return value


_SERVICE_CASTS: dict[tuple[str, ...], Callable[[str], Any]] = {
    ("cpu_count",): _to_int,
    ("cpu_percent",): _to_float,
    ("cpu_period",): _to_int,
    ("cpu_quota",): _to_int,
    ("cpu_rt_period",): _to_int,
    ("cpu_rt_runtime",): _to_int,
    ("cpus",): _to_float,
    ("cpu_shares",): _to_int,
    ("init",): _to_bool,
    ("deploy", "replicas"): _to_int,
    ("deploy", "update_config", "parallelism"): _to_int,
    ("deploy", "update_config", "max_failure_ratio"): _to_float,
    ("deploy", "rollback_config", "parallelism"): _to_int,
    ("deploy", "rollback_config", "max_failure_ratio"): _to_float,
    ("deploy", "restart_policy", "max_attempts"): _to_int,
    ("deploy", "placement", "max_replicas_per_node"): _to_int,
    ("healthcheck", "retries"): _to_int,
    ("healthcheck", "disable"): _to_bool,
    ("oom_kill_disable",): _to_bool,
    ("oom_score_adj",): _to_int,
    ("pids_limit",): _to_int,
    ("ports", "#", "target"): _to_int,
    ("privileged",): _to_bool,
    ("read_only",): _to_bool,
    ("scale",): _to_int,
    ("secrets", "#", "mode"): _to_int,
    ("configs", "#", "mode"): _to_int,
    ("stdin_open",): _to_bool,
    ("tty",): _to_bool,
    ("ulimits", "*"): _to_int,
    ("ulimits", "*", "hard"): _to_int,
    ("ulimits", "*", "soft"): _to_int,
    ("volumes", "#", "read_only"): _to_bool,
    ("volumes", "#", "volume", "nocopy"): _to_bool,
    ("depends_on", "*", "required"): _to_bool,
    ("depends_on", "*", "restart"): _to_bool,
}
_TOP_CASTS = {
    ("networks", "external"): _to_bool,
    ("networks", "internal"): _to_bool,
    ("networks", "attachable"): _to_bool,
    ("networks", "enable_ipv6"): _to_bool,
    ("volumes", "external"): _to_bool,
    ("secrets", "external"): _to_bool,
    ("configs", "external"): _to_bool,
}


_CAST_INDEX: dict[tuple[int, str], list[tuple[tuple[str, ...], Callable[[str], Any]]]]
_CAST_INDEX = {}
for _pattern, _fn in _SERVICE_CASTS.items():
    _CAST_INDEX.setdefault((len(_pattern), _pattern[0]), []).append((_pattern, _fn))


def _cast_for(path: KeyPath) -> Callable[[str], Any] | None:
    """The conversion Compose applies to a string at ``path``, if any."""
    if len(path) < 3:
        return None
    if path[0] == "services":
        candidates = _CAST_INDEX.get((len(path) - 2, str(path[2])))
        if not candidates:
            return None
        rest = path[3:]
        for pattern, fn in candidates:
            if all(
                p == r or p == "*" or (p == "#" and isinstance(r, int))
                for p, r in zip(pattern[1:], rest, strict=True)
            ):
                return fn
        return None
    if len(path) == 3 and isinstance(path[2], str):
        return _TOP_CASTS.get((str(path[0]), path[2]))
    return None


def interpolate(
    data: Any,
    environ: Mapping[str, str],
    source: SourceMap,
    unset: dict[str, KeyPath] | None = None,
) -> Any:
    """Return a copy of ``data`` with every string value interpolated.

    Variables that were used but not set are added to ``unset``, each with
    the path of the first value that used it.
    """
    subst = Substitution(environ)
    first: dict[str, KeyPath] = {}

    def walk(value: Any, path: KeyPath) -> Any:
        """Interpolate ``value`` found at ``path``."""
        if isinstance(value, str):
            try:
                result = subst.substitute(value)
            except TemplateError as exc:
                raise _error(exc, value, path, source) from exc
            for name in subst.unset:
                first.setdefault(name, path)
            cast = _cast_for(path)
            return cast(result) if cast is not None else result
        if isinstance(value, dict):
            return {k: walk(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        return value

    result = walk(data, ())
    if unset is not None:
        for name, path in first.items():
            unset.setdefault(name, path)
    return result


def _error(
    exc: TemplateError, value: str, path: KeyPath, source: SourceMap
) -> ConfigError:
    key = format_key(path)
    location: Location = source.locate(path)
    if exc.variable is not None:
        return ConfigError.at("C110", exc.message, location, key)
    return ConfigError.at(
        "C111",
        f'invalid interpolation format for {key}: "{value}"',
        location,
        key,
        hint="a literal dollar sign is written $$",
    )


def copy_values(data: Any) -> Any:
    """A structural copy of ``data`` (what interpolation returns, unchanged)."""
    if isinstance(data, dict):
        return {k: copy_values(v) for k, v in data.items()}
    if isinstance(data, list):
        return [copy_values(v) for v in data]
    return data
