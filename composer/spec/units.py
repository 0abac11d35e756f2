"""Durations and byte sizes as Compose reads and prints them."""

from __future__ import annotations

import re
from typing import Any

_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)")
_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_BYTES = re.compile(r"([0-9]*\.?[0-9]+)\s*([kmgtp]?)(i?b?)", re.IGNORECASE)
_BYTE_UNITS = {
    "": 1,
    "k": 1 << 10,
    "m": 1 << 20,
    "g": 1 << 30,
    "t": 1 << 40,
    "p": 1 << 50,
}


def parse_duration(value: Any) -> int | None:
    """A duration (``1m30s``, ``500ms``, or seconds as a number) in nanoseconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value * 1_000_000_000)
    text = str(value).strip()
    if not text:
        return None
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    pos = 0
    total = 0.0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if not match:
            return None
        total += float(match.group(1)) * _NS[match.group(2)]
        pos = match.end()
    return sign * round(total)


def format_duration(ns: int) -> str:
    """Nanoseconds in Go's ``time.Duration`` notation (``1m30s``, ``500ms``)."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_frac(ns, 1_000)}µs"
    if ns < 1_000_000_000:
        return f"{sign}{_frac(ns, 1_000_000)}ms"
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = _frac(rest, 1_000_000_000)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


def _frac(value: int, unit: int) -> str:
    whole, rest = divmod(value, unit)
    if not rest:
        return str(whole)
    digits = str(rest).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def normalize_duration(value: Any) -> Any:
    """A duration value in Compose's printed form; unparseable values unchanged."""
    ns = parse_duration(value)
    return value if ns is None else format_duration(ns)


def parse_bytes(value: Any) -> int | None:
    """A size such as ``512m`` or ``1gb`` in bytes (binary multiples)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    match = _BYTES.fullmatch(str(value).strip())
    if not match:
        return None
    return int(float(match.group(1)) * _BYTE_UNITS[match.group(2).lower()])


def normalize_bytes(value: Any) -> Any:
    """A size in Compose's printed form: the number of bytes as a string."""
    size = parse_bytes(value)
    return value if size is None else str(size)
