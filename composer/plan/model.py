"""The plan as frozen data: ordered steps, each with its reason and diffs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """The kind of object a step acts on."""

    NETWORK = "network"
    VOLUME = "volume"
    CONTAINER = "container"
    IMAGE = "image"
    #: Swarm target only (composer.targets.swarm).
    SERVICE = "service"
    SECRET = "secret"
    CONFIG = "config"


class Action(StrEnum):
    """What a step does to its object."""

    CREATE = "create"
    START = "start"
    RESTART = "restart"
    STOP = "stop"
    RECREATE = "recreate"
    REMOVE = "remove"
    BUILD = "build"
    PULL = "pull"
    #: A Swarm service changed in place, as a rolling update.
    UPDATE = "update"

    @property
    def symbol(self) -> str:
        """The one-character mark of the action in a diff view."""
        return {
            Action.CREATE: "+",
            Action.REMOVE: "-",
            Action.RECREATE: "~",
            Action.UPDATE: "~",
        }.get(self, ">")


@dataclass(frozen=True)
class FieldDiff:
    """One field that differs between the observed and desired object."""

    path: str
    old: Any = None
    new: Any = None
    #: The values are secret: output shows that they changed, never what they are.
    sensitive: bool = False

    @property
    def change(self) -> str:
        """``added``, ``removed`` or ``changed``."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed"

    def describe(self) -> str:
        """The difference as one readable line (secret values masked)."""
        old, new = self.shown_values()
        if self.change == "added":
            return f"{self.path}: added {_show(new)}"
        if self.change == "removed":
            return f"{self.path}: removed (was {_show(old)})"
        if self.sensitive:
            return f"{self.path}: {_show(old)} -> {_show(new)} (value changed)"
        return f"{self.path}: {_show(old)} -> {_show(new)}"

    def shown_values(self) -> tuple[Any, Any]:
        """The old and new values as output may show them."""
        if not self.sensitive:
            return self.old, self.new
        return _mask(self.old), _mask(self.new)

    def to_json(self) -> dict[str, Any]:
        """The difference as plain JSON data (see schemas/plan.schema.json)."""
        old, new = self.shown_values()
        out = {"path": self.path, "change": self.change, "old": old, "new": new}
        if self.sensitive:
            out["sensitive"] = True
        return out


@dataclass(frozen=True)
class Step:
    """One action on one object, with why it is needed."""

    action: Action
    kind: Kind
    name: str
    reason: str
    service: str | None = None
    number: int | None = None
    container_id: str | None = None
    diffs: tuple[FieldDiff, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The step as plain JSON data (see docs/plan-json.md)."""
        return {
            "action": self.action.value,
            "kind": self.kind.value,
            "name": self.name,
            "service": self.service,
            "number": self.number,
            "container_id": self.container_id,
            "reason": self.reason,
            "diffs": [d.to_json() for d in self.diffs],
        }


@dataclass(frozen=True)
class Plan:
    """Ordered steps plus what was noticed but needs no action."""

    project: str
    steps: tuple[Step, ...] = ()
    orphans: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: What a loop's plan deliberately leaves as it is, and why (not warnings).
    notes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when applying would change nothing."""
        return not self.steps

    def for_service(self, service: str) -> tuple[Step, ...]:
        """The container steps of one service, in order."""
        return tuple(
            s for s in self.steps if s.service == service and s.kind is Kind.CONTAINER
        )

    @property
    def image_steps(self) -> tuple[Step, ...]:
        """The builds and pulls, which run before any container changes."""
        return tuple(s for s in self.steps if s.kind is Kind.IMAGE)

    def to_json(self) -> dict[str, Any]:
        """The plan as plain JSON data (see docs/plan-json.md)."""
        out: dict[str, Any] = {
            "project": self.project,
            "empty": self.empty,
            "steps": [s.to_json() for s in self.steps],
            "orphans": list(self.orphans),
            "problems": list(self.problems),
            "warnings": list(self.warnings),
        }
        if self.notes:
            out["notes"] = list(self.notes)
        return out


#: Parts of a variable name that mark its value as secret.
SECRET_WORDS = ("PASSWORD", "PASSWD", "TOKEN", "SECRET", "KEY")


def secret_name(name: str) -> bool:
    """Whether a variable's name says its value is secret (``DB_PASSWORD``)."""
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS)


#: What output shows in place of a secret value.
MASK = "********"


def _mask(value: Any) -> Any:
    return None if value is None else MASK


def _show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
