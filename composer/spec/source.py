"""Where each value of a loaded file came from: file, line and column by key path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from composer.errors import Location

KeyPath = tuple[str | int, ...]


def format_key(path: KeyPath) -> str:
    """Render a key path the way messages show it: ``services.web.ports[1]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def key_path(key: str) -> KeyPath:
    """The key path of a key as messages show it (the inverse of format_key).

    A name holding a dot (a service ``web.v2``) splits in two; locating such
    a path falls back to its nearest known ancestor.
    """
    out: list[str | int] = []
    for part in key.split("."):
        name, _, rest = part.partition("[")
        if name:
            out.append(name)
        for index in rest.replace("]", "").split("[") if rest else ():
            out.append(int(index) if index.isdigit() else index)
    return tuple(out)


@dataclass(frozen=True)
class SourceMap:
    """Line and column (1-based) of every mapping key and sequence item of a file.

    ``marks[path]`` is the position of the node at ``path``; for a mapping entry
    it is the position of its key, which is what a reader looks for.
    """

    file: str
    marks: Mapping[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: KeyPath) -> Location:
        """Return the position of ``path``, or of its nearest known ancestor."""
        probe = tuple(path)
        while probe:
            mark = self.marks.get(probe)
            if mark is not None:
                return Location(self.file, mark[0], mark[1])
            probe = probe[:-1]
        mark = self.marks.get(())
        if mark is not None:
            return Location(self.file, mark[0], mark[1])
        return Location(self.file)
