"""Build contexts: the files ``.dockerignore`` lets through, as a tarball and
as a digest of every input that decides what an image build produces.

No Docker SDK here: the digest is computed when the desired state is built,
long before any engine call.  A remote context is digested by its address,
its options and the git commit it names now (``composer.engine.remote``).
Patterns follow the engine's ``.dockerignore`` rules: the last matching line
wins, ``!`` re-includes, ``**`` spans directories, and a pattern matching a
directory covers everything below it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from composer.engine.remote import revision
from composer.errors import ConfigError

log = logging.getLogger(__name__)

#: The name the Dockerfile takes inside the tarball when it comes from
#: ``dockerfile_inline`` or lives outside the context directory.
INLINE_DOCKERFILE = ".composer.Dockerfile"

#: Build keys that do not change what the build produces.
_NOT_INPUTS = ("context", "dockerfile", "dockerfile_inline", "tags", "cache_from")

#: Context prefixes that name a remote source rather than a directory.
REMOTE = ("http://", "https://", "git://", "git@", "github.com/", "ssh://")

#: How a remote context's digest ends: the git commit, or that none is known.
GIT = "git:"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Pattern:
    """One ``.dockerignore`` line compiled to a regular expression."""

    regex: re.Pattern[str]
    exception: bool


def compile_pattern(line: str) -> Pattern | None:
    """Compile one ``.dockerignore`` line; None for blanks and comments."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    exception = text.startswith("!")
    if exception:
        text = text[1:].strip()
    text = os.path.normpath(text.replace("\\", "/")).lstrip("/")
    if text in ("", "."):
        return None
    return Pattern(re.compile(_translate(text)), exception)


def _translate(pattern: str) -> str:
    """A glob with Go ``filepath.Match`` syntax plus ``**`` as a regex."""
    out = ["^"]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out.append("(?:.*/)?")
            else:
                out.append(".*")
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end]
                if body.startswith(("!", "^")):
                    body = "^" + body[1:]
                out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
                i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    out.append("$")
    return "".join(out)


class Ignore:
    """The compiled ``.dockerignore`` of one context."""

    def __init__(self, lines: list[str]) -> None:
        self.patterns = [p for p in map(compile_pattern, lines) if p is not None]
        self.has_exceptions = any(p.exception for p in self.patterns)

    @classmethod
    def of(cls, context: Path) -> Ignore:
        """Read ``context/.dockerignore`` (an empty list when there is none)."""
        path = context / ".dockerignore"
        try:
            return cls(path.read_text(encoding="utf-8").splitlines())
        except FileNotFoundError:
            return cls([])
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc

    def excluded(self, relpath: str) -> bool:
        """Whether ``relpath`` (posix, relative to the context) is left out."""
        parents = _parents(relpath)
        matched = False
        for pattern in self.patterns:
            if pattern.exception != matched:
                continue
            hit = bool(pattern.regex.match(relpath)) or any(
                pattern.regex.match(p) for p in parents
            )
            if hit:
                matched = not pattern.exception
        return matched


def _parents(relpath: str) -> list[str]:
    parts = relpath.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts))]


@dataclass(frozen=True)
class BuildInputs:
    """Where a build's files come from, resolved from a ``build:`` mapping."""

    context: Path
    dockerfile: str | None
    dockerfile_text: bytes
    options: Mapping[str, Any]

    @property
    def dockerfile_in_tar(self) -> str:
        """The Dockerfile's path inside the tarball sent to the engine."""
        return self.dockerfile or INLINE_DOCKERFILE


def is_remote(build: Mapping[str, Any]) -> bool:
    """Whether the context is a URL (a Git repository or a tarball)."""
    return str(build.get("context") or "").startswith(REMOTE)


def resolve(build: Mapping[str, Any]) -> BuildInputs:
    """Find the context and read the Dockerfile of a normalised ``build:``."""
    context = Path(str(build.get("context") or "."))
    if not context.is_dir():
        raise ConfigError(f"build context {context} is not a directory")
    inline = build.get("dockerfile_inline")
    options = {k: v for k, v in build.items() if k not in _NOT_INPUTS}
    if inline:
        return BuildInputs(context, None, str(inline).encode(), options)
    name = str(build.get("dockerfile") or "Dockerfile")
    path = (context / name).resolve()
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the Dockerfile {path}: {exc.strerror or exc}"
        ) from exc
    try:
        inside: str | None = path.relative_to(context.resolve()).as_posix()
    except ValueError:
        inside = None
    return BuildInputs(context, inside, text, options)


def context_files(inputs: BuildInputs) -> Iterator[tuple[str, Path]]:
    """Every path of the context that is sent, relative posix path first."""
    ignore = Ignore.of(inputs.context)
    kept = {".dockerignore", inputs.dockerfile or ""}
    root = inputs.context
    for current, dirs, files in os.walk(root, followlinks=False):
        base = Path(current)
        rel_base = base.relative_to(root).as_posix()
        rel_base = "" if rel_base == "." else rel_base + "/"
        dirs.sort()
        for name in list(dirs):
            rel = rel_base + name
            if ignore.excluded(rel):
                if not ignore.has_exceptions:
                    dirs.remove(name)
                continue
            yield rel, base / name
        for name in sorted(files):
            rel = rel_base + name
            if rel in kept or not ignore.excluded(rel):
                yield rel, base / name


def build_digest(build: Mapping[str, Any]) -> str:
    """The SHA-256 of everything that decides what building ``build`` gives.

    A remote context gives ``sha256:<address and options>+<revision>``: the
    git commit its ref names now, or ``unknown`` (see ``staleness``).
    """
    digest = hashlib.sha256()
    digest.update(b"composer-build-digest/1\n")
    if is_remote(build):
        address = str(build.get("context"))
        remote = json.dumps(dict(build), sort_keys=True, default=str)
        digest.update(remote.encode())
        commit = revision(address)
        pinned = f"{GIT}{commit}" if commit else UNKNOWN
        return f"sha256:{digest.hexdigest()}+{pinned}"
    inputs = resolve(build)
    options = json.dumps(inputs.options, sort_keys=True, default=str)
    digest.update(options.encode() + b"\n")
    digest.update(hashlib.sha256(inputs.dockerfile_text).hexdigest().encode())
    digest.update(b"\n")
    for rel, path in context_files(inputs):
        digest.update(_entry(rel, path).encode() + b"\n")
    return "sha256:" + digest.hexdigest()


class Staleness(StrEnum):
    """How an image's recorded build digest compares with the inputs now."""

    SAME = "same"
    CHANGED = "changed"
    #: A remote context whose content cannot be pinned: nobody can tell.
    UNKNOWN = "unknown"


def staleness(recorded: str | None, current: str) -> Staleness:
    """Compare the digest an image was labelled with to the current one."""
    if recorded is None:
        return Staleness.CHANGED
    inputs, _, pinned = current.partition("+")
    if not pinned:
        return Staleness.SAME if recorded == current else Staleness.CHANGED
    old_inputs, _, old_pinned = recorded.partition("+")
    if old_inputs != inputs:
        return Staleness.CHANGED
    if pinned == UNKNOWN:
        return Staleness.UNKNOWN
    return Staleness.SAME if old_pinned == pinned else Staleness.CHANGED


def short_digest(digest: str | None) -> str | None:
    """A digest cut to 12 hex digits (and a remote revision to 12), for diffs."""
    if not digest:
        return digest
    inputs, plus, pinned = digest.partition("+")
    short = inputs[: len("sha256:") + 12]
    if pinned.startswith(GIT):
        pinned = pinned[: len(GIT) + 12]
    return short + plus + pinned


def _entry(rel: str, path: Path) -> str:
    """One line per file: path, kind, executable bit and content digest."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return f"{rel}\tlink\t{os.readlink(path)}"
        if stat.S_ISDIR(info.st_mode):
            return f"{rel}\tdir"
        executable = "x" if info.st_mode & 0o111 else "-"
        content = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    return f"{rel}\tfile\t{executable}\t{content}"


def context_tarball(inputs: BuildInputs) -> io.BytesIO:
    """The context as an uncompressed tar stream, Dockerfile included."""
    import tarfile  # only builds need it; planning imports this module too

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel, path in context_files(inputs):
            info = tar.gettarinfo(str(path), arcname=rel)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isfile():
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
        if inputs.dockerfile is None:
            info = tarfile.TarInfo(INLINE_DOCKERFILE)
            info.size = len(inputs.dockerfile_text)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(inputs.dockerfile_text))
    buffer.seek(0)
    return buffer
