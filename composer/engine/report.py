"""The reporter interface: apply tells it what happens, the CLI shows it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Status(StrEnum):
    """Where one object's step stands."""

    WAITING = "waiting"
    WORKING = "working"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Event:
    """Progress of one step on one object, or one line of a build's output."""

    kind: str
    name: str
    status: Status
    text: str
    elapsed: float = 0.0
    #: ``text`` is a line a build printed (kind ``build``, name the service),
    #: not a change of the step's state.
    output: bool = False


class Reporter(Protocol):
    """Receives progress events; must be safe to call from several threads."""

    def event(self, event: Event) -> None:
        """Record or show one event."""
        ...


class NullReporter:
    """A reporter that ignores everything."""

    def event(self, event: Event) -> None:
        """Ignore the event."""


class ListReporter:
    """A reporter that keeps every event, for tests."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def event(self, event: Event) -> None:
        """Keep the event."""
        self.events.append(event)
