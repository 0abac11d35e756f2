"""The engine's event stream, reduced to the events that may mean drift.

A background thread reads ``/events`` (containers, networks and volumes, and
images too when a watcher wants every event) and hands each relevant event to
a callback; the stream is reopened after the
engine goes away.  Events only say that something may have changed: the loop
re-reads the whole state before it plans.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import docker.errors
import requests

from composer.engine.client import Engine
from composer.engine.labels import LEASE, PROJECT

log = logging.getLogger(__name__)

#: The actions that may leave a project away from its desired state.
DRIFT_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "container": ("die", "stop", "kill", "destroy", "rename", "oom"),
    "network": ("disconnect", "destroy"),
    "volume": ("destroy",),
}


@dataclass(frozen=True)
class EngineEvent:
    """One event of the engine: the object, what happened, and its attributes."""

    kind: str
    action: str
    actor_id: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    time: float = 0.0

    @property
    def name(self) -> str:
        """The object's name as the event reports it."""
        return self.attributes.get("name", self.actor_id[:12])

    @property
    def project(self) -> str | None:
        """The Compose project of a container event (never the lease's)."""
        if LEASE in self.attributes:
            return None
        return self.attributes.get(PROJECT)

    def describe(self) -> str:
        """One short line for people: ``container web-1 die``."""
        return f"{self.kind} {self.name} {self.action}"


def parse_event(raw: Mapping[str, Any]) -> EngineEvent | None:
    """The typed form of one decoded event, or None when it is not one we use."""
    kind = str(raw.get("Type") or "")
    action = str(raw.get("Action") or raw.get("status") or "")
    # Health-check runs arrive as "exec_start: ..." and the like.
    action = action.split(":", 1)[0].strip()
    if action not in DRIFT_ACTIONS.get(kind, ()):
        return None
    actor = raw.get("Actor") or {}
    attributes = {str(k): str(v) for k, v in (actor.get("Attributes") or {}).items()}
    when = raw.get("timeNano")
    return EngineEvent(
        kind=kind,
        action=action,
        actor_id=str(actor.get("ID") or raw.get("id") or ""),
        attributes=attributes,
        time=(int(when) / 1e9) if when else float(raw.get("time") or 0),
    )


class StreamWatcher(Protocol):
    """Told of the stream's connection and of every event it reads."""

    def connected(self) -> None:
        """The stream is (again) connected."""
        ...

    def disconnected(self) -> None:
        """The stream ended or failed."""
        ...

    def saw_raw(self, raw: Mapping[str, Any]) -> None:
        """One decoded event, whatever its type or action."""
        ...


#: What the stream asks for when a watcher wants every event.
_ALL_TYPES = ("container", "network", "volume", "image")


class EventStream:
    """Follows the engine's events in a thread and passes the relevant ones on."""

    def __init__(
        self,
        engine: Engine,
        relevant: Callable[[EngineEvent], bool],
        on_event: Callable[[EngineEvent], None],
        watcher: StreamWatcher | None = None,
    ) -> None:
        self.api: Any = engine.api
        self.host = engine.host
        self.watcher = watcher
        self.relevant = relevant
        self.on_event = on_event
        self._closed = threading.Event()
        self._stream: Any = None
        #: Whether the loss of the stream was reported and it is not back yet.
        self._lost = False
        self._thread = threading.Thread(
            target=self._run, name="composer-events", daemon=True
        )

    def start(self) -> None:
        """Start following the stream."""
        self._thread.start()

    def close(self) -> None:
        """Stop following the stream."""
        self._closed.set()
        stream = self._stream
        if stream is not None:
            try:
                stream.close()
            except Exception:  # closing a dead socket may fail in many ways
                log.debug("closing the event stream failed", exc_info=True)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        delay = 0.5
        since = time.time()
        while not self._closed.is_set():
            try:
                self._follow(since)
                delay = 0.5
            except (requests.RequestException, docker.errors.DockerException) as exc:
                if self._closed.is_set():
                    return
                if not self._lost:
                    log.warning(
                        "lost the engine's event stream: %s; retrying with back-off",
                        self._why(exc),
                    )
                    self._lost = True
                log.debug("engine event stream: %r", exc)
            except (AttributeError, ValueError, OSError) as exc:
                # The SDK raises these when the socket is closed under it.
                if self._closed.is_set():
                    return
                log.debug("engine event stream ended: %s", exc)
            finally:
                if self.watcher is not None:
                    self.watcher.disconnected()
            since = time.time() - 1
            if self._closed.wait(delay):
                return
            delay = min(delay * 2, 10.0)

    def _follow(self, since: float) -> None:
        if self.watcher is None:
            filters = {"type": list(DRIFT_ACTIONS), "event": _all_actions()}
        else:
            # Every event of these types, for the watcher; drift is picked below.
            filters = {"type": list(_ALL_TYPES)}
        self._stream = self.api.events(since=int(since), filters=filters, decode=True)
        if self._lost:
            self._lost = False
            log.warning(
                "the Docker engine at %s answers again; following its events",
                self.host,
            )
        # The engine replays what happened since ``since`` (at or before this
        # moment), so nothing between the request and the subscription is lost.
        if self.watcher is not None:
            self.watcher.connected()
        for raw in self._stream:
            if self._closed.is_set():
                return
            if self.watcher is not None:
                # Before the drift callback: a pass it causes must not reuse
                # an observation this event makes stale.
                self.watcher.saw_raw(raw)
            event = parse_event(raw)
            if event is not None and self.relevant(event):
                log.debug("engine event: %s", event.describe())
                self.on_event(event)

    def _why(self, exc: Exception) -> str:
        """The loss of the stream in words, without the SDK's exception repr."""
        if isinstance(exc, docker.errors.APIError):
            return f"the engine answered {getattr(exc, 'explanation', None) or exc}"
        if isinstance(exc, requests.ConnectionError):
            return f"cannot reach the Docker engine at {self.host}"
        return f"the connection to the Docker engine at {self.host} broke"


def _all_actions() -> list[str]:
    return sorted({a for actions in DRIFT_ACTIONS.values() for a in actions})
