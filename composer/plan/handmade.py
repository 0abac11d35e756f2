"""A container recreated by hand with composer's labels copied onto it.

Composer decides what to recreate from the labels that record the applied
definition.  Someone who removes a container and creates another with the
same name and all labels copied, but another image, command or environment,
leaves labels that no longer describe the container.  Observe has only the
container list to go on (no inspect per container), so three things it
shows are set against what the labels claim:

* the image ID the container runs against the one recorded;
* the command line (entrypoint and command) against the recorded ones;
* the ``Created`` time against the time composer recorded when it created
  the container (engine clock both): a container made much later than its
  labels say was not made by composer.  The tolerance is generous, so a
  copy made within it, with only the environment changed, goes unseen.

A container composer made itself always matches: its labels and settings
come from the same definition, at the same moment.  A container without
composer's recorded definition (made by Docker Compose) is not judged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from composer.engine.labels import CREATED, SERVICE_CONFIG
from composer.engine.observe import ObservedContainer
from composer.plan.config import decode
from composer.plan.model import FieldDiff

#: Seconds a container's Created time may follow the time in its label.
TOLERANCE = 300


def handmade(c: ObservedContainer) -> tuple[FieldDiff, ...]:
    """How ``c`` differs from what its copied labels claim; empty if it does not."""
    stored = decode(c.labels.get(SERVICE_CONFIG))
    if stored is None:
        return ()
    out: list[FieldDiff] = []
    image_id = stored.get("image_id")
    if isinstance(image_id, str) and image_id and c.image_id and c.image_id != image_id:
        out.append(FieldDiff("image ID (observed)", c.image_id, image_id))
    service = stored.get("service")
    if c.command is not None and isinstance(service, Mapping):
        wanted = _expected_command(service)
        if wanted is not None and not wanted.matches(c.command):
            out.append(FieldDiff("command (observed)", c.command, wanted.shown))
    late = _made_late(c)
    if late is not None:
        out.append(
            FieldDiff(
                "created (observed)",
                f"{late} s after the time in its labels",
                "when composer made it",
            )
        )
    return tuple(out)


class _Command:
    """The command line a container must show: whole, or its end or start."""

    def __init__(self, words: list[str], how: str) -> None:
        self.words = words
        self.how = how
        self.shown = " ".join(words) if how == "whole" else f"{how}: {' '.join(words)}"

    def matches(self, line: str) -> bool:
        """Whether the list's one-line command fits (quotes are not compared)."""
        have = _words(line)
        want = _words(" ".join(self.words))
        if self.how == "whole":
            return have == want
        if self.how == "ends with":
            return have[len(have) - len(want) :] == want
        return have[: len(want)] == want


def _expected_command(service: Mapping[str, Any]) -> _Command | None:
    """What the recorded entrypoint and command make the engine show."""
    entrypoint = _argv(service.get("entrypoint"))
    command = _argv(service.get("command"))
    if entrypoint:
        # The image's entrypoint and command are both replaced.
        if command is None:
            return _Command(entrypoint, "starts with")
        return _Command(entrypoint + command, "whole")
    if command:
        # The image's entrypoint, if any, comes first.
        return _Command(command, "ends with")
    return None


def _argv(value: Any) -> list[str] | None:
    """An entrypoint or command as the engine receives it (see engine.build)."""
    if value is None:
        return None
    if isinstance(value, str):
        return ["/bin/sh", "-c", value]
    if isinstance(value, Sequence):
        return [str(v) for v in value]
    return None


def _words(line: str) -> list[str]:
    """Words of a command line, without the quotes the engine adds or not."""
    return line.replace("'", "").replace('"', "").split()


def _made_late(c: ObservedContainer) -> int | None:
    """Seconds ``c`` was created after its label's time, when too many."""
    raw = c.labels.get(CREATED)
    if raw is None or c.created is None:
        return None
    try:
        stamp = float(raw)
    except ValueError:
        return None
    late = c.created - stamp
    return int(late) if late > TOLERANCE else None
