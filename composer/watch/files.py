"""File watching with watchdog: events only mark paths as changed.

Directories holding the project's files are watched without recursion; the
paths of ``develop.watch`` rules are watched recursively.  Re-arming with a
new set of directories (after a reload) keeps the observer and swaps the
watches.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

log = logging.getLogger(__name__)

#: Called with the absolute path of each changed file, from watchdog's thread.
OnChange = Callable[[str], None]


class _Handler(FileSystemEventHandler):
    def __init__(self, on_change: OnChange) -> None:
        super().__init__()
        self.on_change = on_change

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return
        for attr in ("src_path", "dest_path"):
            path = getattr(event, attr, "")
            if path:
                if isinstance(path, bytes):
                    path = os.fsdecode(path)
                self.on_change(os.path.abspath(str(path)))


class FileWatcher:
    """Watches directories and reports every changed path to one callback."""

    def __init__(self, on_change: OnChange) -> None:
        self._handler = _Handler(on_change)
        self._observer = Observer()
        self._watches: dict[tuple[str, bool], ObservedWatch] = {}
        self._started = False

    def watch(self, flat: Iterable[str], recursive: Iterable[str] = ()) -> None:
        """Watch exactly these directories from now on."""
        wanted = {(d, False) for d in flat} | {(d, True) for d in recursive}
        wanted = {(_existing(d), r) for d, r in wanted}
        for key in list(self._watches):
            if key not in wanted:
                self._observer.unschedule(self._watches.pop(key))
        for directory, recursive_ in sorted(wanted):
            if (directory, recursive_) in self._watches:
                continue
            try:
                handle = self._observer.schedule(
                    self._handler, directory, recursive=recursive_
                )
            except OSError as exc:
                log.warning("cannot watch %s: %s", directory, exc)
                continue
            self._watches[(directory, recursive_)] = handle
            log.debug("watching %s%s", directory, " (recursive)" if recursive_ else "")
        if not self._started:
            self._observer.start()
            self._started = True

    def stop(self) -> None:
        """Stop watching and join watchdog's thread."""
        if self._started:
            self._observer.stop()
            self._observer.join(timeout=5)


def _existing(directory: str) -> str:
    """The directory itself, or its nearest existing parent (created later)."""
    probe = os.path.abspath(directory)
    while not os.path.isdir(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    return probe
