"""Run ``sync`` until stopped: fetch every interval, heal drift in between.

The engine's event stream (the one the watch loop follows) wakes the
follower when a container of the project dies, is stopped or removed, or one
of its networks or volumes goes away; after a short quiet time the deployed
commit is converged again, without fetching.  The fetch at every interval
is also the safety pass that catches what no event announced.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from composer.engine.client import Engine
from composer.engine.events import EngineEvent, EventStream
from composer.errors import ComposerError
from composer.gitops.sync import Syncer

log = logging.getLogger(__name__)

#: Called with an error that ended one iteration; the follower goes on.
OnError = Callable[[ComposerError], None]

#: The longest a wait lasts, so a stop request is seen promptly.
_TICK = 0.5


@dataclass(frozen=True)
class FollowOptions:
    """How often to fetch, and how long drift events must settle."""

    interval: float = 60.0
    debounce: float = 0.3


class Follower:
    """One ``Syncer`` driven by a timer and by the engine's drift events."""

    def __init__(
        self,
        engine: Engine,
        syncer: Syncer,
        options: FollowOptions,
        on_error: OnError,
    ) -> None:
        self.engine = engine
        self.syncer = syncer
        self.options = options
        self.on_error = on_error
        self._wake = threading.Event()
        self._last_event = 0.0

    def relevant(self, event: EngineEvent) -> bool:
        """Whether an engine event concerns the deployed project."""
        desired = self.syncer.desired
        if desired is None:
            return False
        if event.kind == "container":
            return event.project == desired.project
        if event.kind == "network":
            return event.name in {n.name for n in desired.networks.values()}
        return event.name in {v.name for v in desired.volumes.values()}

    def on_event(self, event: EngineEvent) -> None:
        """Note a drift event (event-stream thread) and wake the follower."""
        if event.action in ("stop", "kill"):
            self.syncer.policy.saw_stop(event.actor_id)
        self._last_event = time.monotonic()
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Iterate at once, then every interval, healing drift in between."""
        stream = EventStream(self.engine, self.relevant, self.on_event)
        stream.start()
        try:
            while not stop.is_set():
                self._guarded(self.syncer.iterate)
                self._between(stop, time.monotonic() + self.options.interval)
        finally:
            stream.close()

    def _between(self, stop: threading.Event, fetch_at: float) -> None:
        """Heal drift as it is reported until it is time to fetch again."""
        while not stop.is_set():
            left = fetch_at - time.monotonic()
            if left <= 0:
                return
            if not self._wake.wait(min(left, _TICK)):
                continue
            quiet = time.monotonic() - self._last_event
            if quiet < self.options.debounce:
                stop.wait(self.options.debounce - quiet)
                continue
            self._wake.clear()
            log.debug("engine drift: converging the deployed commit")
            self._guarded(self.syncer.heal)

    def _guarded(self, step: Callable[[], object]) -> None:
        try:
            step()
        except ComposerError as exc:
            # A fetch or the engine failing once must not end the follower.
            self.on_error(exc)
