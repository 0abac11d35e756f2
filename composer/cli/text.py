"""Plain lines for the quick answers, printed without loading rich.

A no-op ``up`` prints "no changes" and the project's containers; importing
rich for that costs more than the rest of the answer.  Off a terminal, and
with no variable forcing colour, rich would print these lines exactly as
they are, so they are written straight to the stream then.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from composer.engine.observe import ObservedContainer

#: Variables that make rich treat any stream as a terminal (or not).
_FORCING = ("FORCE_COLOR", "TTY_COMPATIBLE")


def container_lines(containers: Iterable[ObservedContainer]) -> list[str]:
    """One line per container, as Compose lists them after an ``up``."""
    shown = sorted(containers, key=lambda c: c.name)
    width = max((len(c.name) for c in shown), default=0)
    service_width = max((len(c.service) for c in shown), default=0)
    lines = []
    for container in shown:
        state = container.state.capitalize()
        if container.health:
            state += f" ({container.health})"
        lines.append(
            f"  container {container.name.ljust(width)}  service "
            f"{container.service.ljust(service_width)}  {state}"
        )
    return lines


def plain_stream(stream: TextIO) -> bool:
    """Whether rich would write ``stream`` as plain text: no terminal, no forcing."""
    if any(name in os.environ for name in _FORCING):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return isatty is not None and not isatty()
    except ValueError:  # a closed stream; let rich decide
        return False


def write_lines(lines: Sequence[str]) -> None:
    """Print plain lines on stdout: directly off a terminal, through rich on one."""
    if plain_stream(sys.stdout):
        sys.stdout.write("".join(f"{line}\n" for line in lines))
        return
    from rich.markup import escape

    from composer.cli.render import make_console

    console = make_console()
    for line in lines:
        console.print(escape(line), highlight=False)
