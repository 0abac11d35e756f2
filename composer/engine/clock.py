"""The engine's clock, so a label can record a time the engine's can be set against.

A container's ``Created`` time comes from the engine's clock; a time composer
writes into a label comes from this host's.  The two may differ by minutes
when the engine is remote.  ``engine_time`` reads the engine's clock once
(``SystemTime`` of ``/info``), remembers the offset for an hour, and returns
this host's time moved by it; None when the engine does not say.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any, Protocol

import docker.errors
import requests

log = logging.getLogger(__name__)

_KEEP = 3600.0
_lock = threading.Lock()
_offsets: dict[str, tuple[float, float | None]] = {}


class _HasApi(Protocol):
    host: str

    @property
    def api(self) -> Any:
        """The Docker SDK's low-level client."""


def engine_time(engine: _HasApi) -> float | None:
    """The engine's current time in epoch seconds, or None when unknown."""
    with _lock:
        known = _offsets.get(engine.host)
        if known is None or time.monotonic() - known[0] > _KEEP:
            known = (time.monotonic(), _offset(engine))
            _offsets[engine.host] = known
    offset = known[1]
    return None if offset is None else time.time() + offset


def _offset(engine: _HasApi) -> float | None:
    before = time.time()
    try:
        info = engine.api.info()
    except (requests.RequestException, docker.errors.DockerException) as exc:
        log.debug("cannot read the engine's clock: %s", exc)
        return None
    after = time.time()
    stamp = parse_time(str(info.get("SystemTime") or ""))
    if stamp is None:
        return None
    return stamp - (before + after) / 2


def parse_time(text: str) -> float | None:
    """Epoch seconds of an RFC 3339 time with up to nanoseconds; None if not one."""
    head, dot, rest = text.partition(".")
    if dot:
        size = len(rest) - len(rest.lstrip("0123456789"))
        digits, zone = rest[:size], rest[size:]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
