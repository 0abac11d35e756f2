"""The loop's last observation, kept while the engine's events vouch for it.

A warm pass of the loop may plan against the previous observation instead of
listing containers, networks, volumes and images again, but only while the
event stream has stayed connected since before that observation began and
has reported nothing that could change what it saw.  Whatever cannot be told
apart counts against the observation: a pass then observes again.

Rules, in order:

- a new connection of the stream, a lost one, or a stream error drops it;
- any image event drops it (image IDs are compared by the planner);
- a container event drops it when the container carries the project's label
  or its lease label, or carries no attributes to tell (a ``prune``); the
  read-only actions (``exec_*``, ``attach``, ``top``...) do not, but
  ``health_status`` does;
- a network or volume event drops it when it names one the project wants or
  one labelled as the project's, names a container of the observation, is a
  ``create`` or ``prune`` (whose labels the event does not carry), or names
  nothing; while an observation is being taken, every such event counts;
- any other event type drops it.

The loop drops it itself after an apply, an error, a reload that produced a
new project, and never reuses it on the first or the periodic pass.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from composer.engine.labels import LEASE, PROJECT
from composer.engine.observe import Actual

log = logging.getLogger(__name__)

#: Container actions that leave what a list of containers shows as it was.
READ_ONLY_CONTAINER_ACTIONS = frozenset(
    {
        "exec_create",
        "exec_start",
        "exec_detach",
        "exec_die",
        "attach",
        "detach",
        "top",
        "resize",
        "export",
        "archive-path",
        "extract-to-dir",
        "copy",
    }
)

#: The event types the stream asks the engine for.
WATCHED_TYPES = ("container", "network", "volume", "image")


@dataclass(frozen=True)
class RawEvent:
    """The parts of any engine event the cache judges."""

    kind: str
    action: str
    actor_id: str
    attributes: Mapping[str, str]

    @classmethod
    def of(cls, raw: Mapping[str, object]) -> RawEvent:
        """The decoded JSON of one event, reduced."""
        action = str(raw.get("Action") or raw.get("status") or "")
        actor = raw.get("Actor") or {}
        assert isinstance(actor, Mapping)
        attrs = actor.get("Attributes") or {}
        assert isinstance(attrs, Mapping)
        return cls(
            kind=str(raw.get("Type") or ""),
            action=action.split(":", 1)[0].strip(),
            actor_id=str(actor.get("ID") or raw.get("id") or ""),
            attributes={str(k): str(v) for k, v in attrs.items()},
        )


@dataclass(frozen=True)
class Ticket:
    """Taken just before observing: the stream's session and event count."""

    session: int
    generation: int


@dataclass(frozen=True)
class _Kept:
    actual: Actual
    session: int
    generation: int
    networks: frozenset[str]
    volumes: frozenset[str]
    containers: frozenset[str]


class ObservationCache:
    """The last observation of one project and whether events still vouch for it."""

    def __init__(self, project: str | None) -> None:
        self.project = project
        self._lock = threading.Lock()
        self._session = 0
        self._connected = False
        self._generation = 0
        self._kept: _Kept | None = None

    def name(self, project: str) -> None:
        """The project whose events count (until known, every container's do)."""
        with self._lock:
            if project != self.project:
                self.project = project
                self._drop_locked("the project's name changed")

    # -- the stream's side (its thread) -------------------------------------

    def connected(self) -> None:
        """The stream (re)connected: a new session, nothing from before counts."""
        with self._lock:
            self._session += 1
            self._connected = True
            self._drop_locked("event stream connected")

    def disconnected(self) -> None:
        """The stream ended or failed."""
        with self._lock:
            self._connected = False
            self._drop_locked("event stream lost")

    def saw_raw(self, raw: Mapping[str, Any]) -> None:
        """One decoded event of the stream."""
        self.saw(RawEvent.of(raw))

    def saw(self, event: RawEvent) -> None:
        """An event of the engine; drops the observation when it may concern it."""
        with self._lock:
            if self._concerns(event):
                self._drop_locked(f"{event.kind} {event.action}")

    # -- the loop's side ------------------------------------------------------

    @property
    def following(self) -> bool:
        """Whether the event stream is connected."""
        with self._lock:
            return self._connected

    def ticket(self) -> Ticket | None:
        """What to keep an observation under, or None when the stream is down."""
        with self._lock:
            self._kept = None  # a fresh observation replaces it
            if not self._connected:
                return None
            return Ticket(self._session, self._generation)

    def keep(
        self,
        ticket: Ticket | None,
        actual: Actual,
        networks: Iterable[str],
        volumes: Iterable[str],
    ) -> None:
        """Keep ``actual``, observed after ``ticket`` was taken, if still vouched for.

        ``networks`` and ``volumes`` are the engine names the project wants.
        """
        with self._lock:
            if ticket is None or not self._valid(ticket.session, ticket.generation):
                self._kept = None
                return
            self._kept = _Kept(
                actual,
                ticket.session,
                ticket.generation,
                frozenset(networks) | {n.name for n in actual.project_networks()},
                frozenset(volumes) | {v.name for v in actual.project_volumes()},
                frozenset(c.id for c in actual.containers),
            )

    def reusable(self) -> Actual | None:
        """The kept observation when nothing since may have changed it."""
        with self._lock:
            kept = self._kept
            if kept is None or not self._valid(kept.session, kept.generation):
                return None
            return kept.actual

    def drop(self, why: str) -> None:
        """Forget the observation (the loop applied, failed, or reloaded)."""
        with self._lock:
            self._drop_locked(why)

    # -- rules ----------------------------------------------------------------

    def _valid(self, session: int, generation: int) -> bool:
        return (
            self._connected
            and session == self._session
            and generation == self._generation
        )

    def _drop_locked(self, why: str) -> None:
        self._generation += 1
        if self._kept is not None:
            log.debug("observation of %s dropped: %s", self.project, why)
        self._kept = None

    def _concerns(self, event: RawEvent) -> bool:
        attrs = event.attributes
        if event.kind == "image":
            return True
        if event.kind == "container":
            if event.action in READ_ONLY_CONTAINER_ACTIONS:
                return False
            if not event.actor_id or not attrs:
                return True
            if self.project is None:
                return True
            return self.project in (attrs.get(PROJECT), attrs.get(LEASE))
        if event.kind in ("network", "volume"):
            name = attrs.get("name") if event.kind == "network" else event.actor_id
            if not name or event.action in ("create", "prune"):
                return True
            kept = self._kept
            if kept is None:
                return True  # being observed, or nothing to compare with
            names = kept.networks if event.kind == "network" else kept.volumes
            return name in names or attrs.get("container") in kept.containers
        return True
