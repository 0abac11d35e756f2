"""Reporters that show apply's progress: rich live lines, plain, JSON, quiet.

A build's output arrives as ``output`` events: plain prints each line after
the service's name, JSON writes one event per line, and the live display
shows the last few lines under the objects while the build runs.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import deque
from types import TracebackType
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from composer.engine.report import Event, NullReporter, Reporter, Status

_MARK = {
    Status.WAITING: "[dim]…[/]",
    Status.WORKING: "[cyan]⠿[/]",
    Status.DONE: "[green]✔[/]",
    Status.FAILED: "[red]✘[/]",
}


# A failed step's line says only that: the error itself follows once, in full,
# from whoever handles it (the command's error message, watch's pass summary).
FAILED_TEXT = "failed"


def _text(event: Event) -> str:
    return FAILED_TEXT if event.status is Status.FAILED else event.text


#: Lines of build output the live display keeps under its objects.
TAIL_LINES = 6


class PlainReporter:
    """One line per finished or failed step and per output line, no colour."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def event(self, event: Event) -> None:
        """Write the event when it ends a step or is a line of output."""
        if event.output:
            with self.lock:
                self.stream.write(f"{event.name}  | {event.text}\n")
                self.stream.flush()
        elif event.status in (Status.DONE, Status.FAILED):
            line = (
                f"{event.kind.capitalize()} {event.name}  {_text(event)}  "
                f"{event.elapsed:.1f}s\n"
            )
            with self.lock:
                self.stream.write(line)
                self.stream.flush()


class JsonReporter:
    """One JSON object per event."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def event(self, event: Event) -> None:
        """Write the event as a JSON line."""
        data = {
            "kind": event.kind,
            "name": event.name,
            "status": event.status.value,
            "text": event.text,
            "elapsed": round(event.elapsed, 3),
        }
        if event.output:
            data["output"] = True
        with self.lock:
            self.stream.write(json.dumps(data) + "\n")
            self.stream.flush()


class LiveReporter:
    """A live rich display: one line per object with its state and timing."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.lock = threading.Lock()
        self.rows: dict[tuple[str, str], tuple[Event, float]] = {}
        self.tail: deque[tuple[str, str]] = deque(maxlen=TAIL_LINES)
        self.live = Live(console=console, refresh_per_second=8, transient=False)

    def __enter__(self) -> LiveReporter:
        self.live.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.tail.clear()
        self.live.update(self._table())
        self.live.__exit__(kind, exc, tb)

    def event(self, event: Event) -> None:
        """Update the object's line, or the tail of build output."""
        with self.lock:
            if event.output:
                self.tail.append((event.name, event.text))
                self.live.update(self._view())
                return
            if event.kind == "image" and event.status is not Status.WORKING:
                self.tail.clear()  # the build ended; its tail has served
            key = (event.kind, event.name)
            began = self.rows.get(key, (event, time.monotonic()))[1]
            self.rows[key] = (event, began)
            self.live.update(self._view())

    def _view(self) -> RenderableType:
        if not self.tail:
            return self._table()
        lines = [f"[dim]  {escape(n)} | {escape(t)}[/]" for n, t in self.tail]
        return Group(self._table(), *lines)

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 1))
        for (kind, name), (event, began) in self.rows.items():
            elapsed = (
                event.elapsed
                if event.status in (Status.DONE, Status.FAILED)
                else time.monotonic() - began
            )
            table.add_row(
                _MARK[event.status],
                kind.capitalize(),
                escape(name),
                escape(_text(event)),
                f"[dim]{elapsed:.1f}s[/]",
            )
        return table


def make_reporter(mode: str, console: Console) -> Reporter:
    """The reporter for ``--progress``; ``auto`` is live only on a terminal."""
    if mode == "quiet":
        return NullReporter()
    if mode == "json":
        return JsonReporter(sys.stderr)
    if mode == "auto" and console.is_terminal and not os.environ.get("NO_COLOR"):
        return LiveReporter(console)
    return PlainReporter(sys.stderr)
