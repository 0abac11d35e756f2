"""What the loop may restart on its own: restart policies and crash-loop back-off.

The planner starts every stopped container, which is right for ``up``.  A
loop that runs unattended must also respect what a stop meant:

- ``restart: always``: a stopped container is started again, whoever stopped it;
- ``unless-stopped``: started again unless someone stopped it (a ``stop`` or
  ``kill`` event the loop saw);
- ``on-failure[:N]``: started again when it exited non-zero and was not stopped;
- ``no`` (the default): a container that exited stays down.

A container that was never started, or was removed, is always brought back.
A service the loop keeps restarting is backed off exponentially, as a
Kubernetes crash loop is: after ``threshold`` restarts inside ``window``
seconds, the next restart of that service waits ``base`` seconds, doubling
each time it happens again (up to ``cap``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from composer.engine.observe import Actual, ObservedContainer
from composer.graph import Desired
from composer.plan.model import Action, Kind, Plan, Step

log = logging.getLogger(__name__)


def restart_policy(definition: Mapping[str, object]) -> str:
    """The service's restart policy name (``no`` when unset)."""
    raw = str(definition.get("restart") or "no")
    return raw.split(":", 1)[0]


def may_restart(policy: str, container: ObservedContainer, stopped: bool) -> bool:
    """Whether a stopped container should be started again by the loop."""
    if container.state not in ("exited", "dead"):
        return True
    if policy == "always":
        return True
    if policy == "unless-stopped":
        return not stopped
    if policy == "on-failure":
        return not stopped and container.exit_code not in (None, 0)
    return False


def _left_down(
    name: str, policy: str, container: ObservedContainer, stopped: bool
) -> str:
    how = f"exited with code {container.exit_code}"
    if container.exit_code is None:
        how = container.state or "stopped"
    if stopped:
        how = "was stopped"
    return (
        f"container {name} {how} and its restart policy is {policy}: "
        "left stopped; `composer up` starts it"
    )


@dataclass
class CrashLoop:
    """Counts the loop's restarts per service and decides when to back off."""

    window: float = 60.0
    threshold: int = 3
    base: float = 5.0
    cap: float = 300.0
    starts: dict[str, list[float]] = field(default_factory=dict)
    blocked_until: dict[str, float] = field(default_factory=dict)
    level: dict[str, int] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)

    def wait_left(self, service: str, now: float) -> float:
        """Seconds until the service may be restarted again (0 when it may)."""
        return max(self.blocked_until.get(service, 0.0) - now, 0.0)

    def record(self, service: str, now: float) -> float | None:
        """Count one restart; return the back-off it triggers, if any."""
        recent = [t for t in self.starts.get(service, []) if now - t < self.window]
        if now - self.last.get(service, now) >= self.window:
            self.level[service] = 0
        self.last[service] = now
        recent.append(now)
        self.starts[service] = recent
        if len(recent) <= self.threshold:
            return None
        level = self.level.get(service, 0)
        delay: float = min(self.base * 2.0**level, self.cap)
        self.level[service] = level + 1
        self.blocked_until[service] = now + delay
        self.starts[service] = []
        return delay

    def next_wakeup(self, now: float) -> float | None:
        """Seconds until the nearest back-off ends, if any is running."""
        left = [t - now for t in self.blocked_until.values() if t > now]
        return min(left) if left else None


@dataclass(frozen=True)
class Narrowed:
    """A plan with the steps the loop may not take now removed, and why."""

    plan: Plan
    notes: tuple[str, ...] = ()
    #: Stopped containers left stopped by their restart policy, and why.
    kept: tuple[str, ...] = ()


@dataclass
class LoopPolicy:
    """Restart policies and back-off, applied to each plan the loop makes."""

    crash: CrashLoop = field(default_factory=CrashLoop)
    stopped: set[str] = field(default_factory=set)

    def saw_stop(self, container_id: str) -> None:
        """Remember that someone stopped or killed this container."""
        self.stopped.add(container_id)

    def narrow(
        self,
        desired: Desired,
        plan: Plan,
        actual: Actual,
        now: float | None = None,
        count: bool = True,
    ) -> Narrowed:
        """Drop the starts that restart policies or back-off forbid now."""
        now = time.monotonic() if now is None else now
        by_id = {c.id: c for c in actual.containers}
        self.stopped &= {c.id for c in actual.containers if not c.running}
        kept: list[Step] = []
        notes: list[str] = []
        kept_notes: list[str] = []
        for step in plan.steps:
            if not self._is_restart(step):
                kept.append(step)
                continue
            service = step.service or ""
            node = desired.services.get(service)
            container = by_id.get(step.container_id or "")
            if step.action is Action.START and node and container is not None:
                policy = restart_policy(node.definition)
                stopped = container.id in self.stopped
                if not may_restart(policy, container, stopped):
                    log.debug("%s stays down (restart: %s)", step.name, policy)
                    kept_notes.append(_left_down(step.name, policy, container, stopped))
                    continue
            left = self.crash.wait_left(service, now)
            if left > 0:
                notes.append(
                    f"service {service} is crash-looping; next restart in {left:.0f}s"
                )
                continue
            delay = self.crash.record(service, now) if count else None
            if delay is not None:
                notes.append(
                    f"service {service} is crash-looping ({self.crash.threshold} "
                    f"restarts within {self.crash.window:.0f}s); backing off "
                    f"{delay:.0f}s"
                )
                continue
            kept.append(step)
        return Narrowed(
            replace(plan, steps=tuple(kept)),
            tuple(dict.fromkeys(notes)),
            tuple(kept_notes),
        )

    @staticmethod
    def _is_restart(step: Step) -> bool:
        if step.kind is not Kind.CONTAINER:
            return False
        return step.action is Action.START or (
            step.action is Action.CREATE and step.reason == "not found"
        )
