"""Remote ``include`` sources: git repositories fetched into a local cache.

An include path names a git repository in the forms Docker Compose accepts:
``https://host/repo.git``, ``http://host/repo.git`` (both need the ``.git``),
``git://host/repo``, ``ssh://[user@]host/repo`` and ``user@host:repo``, each
optionally followed by ``#REF``, ``#REF:PATH`` or ``##ref=REF,subdir=PATH``.
``github.com/owner/repo`` is read as ``https://github.com/owner/repo``.  Any
other path, ``file://`` URLs included, is a local file, as in Compose.

A named ref (``HEAD`` when none is given) is resolved to its commit with
``git ls-remote``; the commit is fetched once into
``$XDG_CACHE_HOME/composer/git/<commit>`` (``~/.cache/composer/git`` without
that variable) and reused afterwards.  A full commit id needs no network once
cached.  PATH, a file or a directory holding one of the default Compose file
names, is looked up inside the checkout.  Nothing here runs unless a remote
path is included.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from composer.spec.discovery import DEFAULT_FILES

if TYPE_CHECKING:
    import subprocess

log = logging.getLogger(__name__)

ENABLE_VARIABLE = "COMPOSE_EXPERIMENTAL_GIT_REMOTE"
_COMMIT = re.compile(r"[0-9a-f]{40}")
_SCHEME = re.compile(r"[a-zA-Z0-9]+://")
_GIT_SCHEMES = ("http", "https", "git", "ssh")
_SCP = re.compile(r"(?:[a-zA-Z0-9_-]+@)?[a-zA-Z0-9.-]+:(?!//)(.*)")
_FALSE = {"0", "f", "F", "false", "FALSE", "False"}
_TRUE = {"1", "t", "T", "true", "TRUE", "True"}


class RemoteError(Exception):
    """A remote include cannot be fetched; the loader adds file and line."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class GitSource:
    """A git repository, the ref to check out and the path inside it."""

    remote: str
    ref: str = ""
    subdir: str = ""


def is_oci(path: str) -> bool:
    """Whether an include path names an OCI artifact (see composer.spec.oci)."""
    return path.startswith("oci://")


def parse_git_source(path: str) -> GitSource | None:
    """The git repository an include path names, or None for a local path."""
    if path.startswith(("./", "../", "/")):
        return None
    if path.startswith("github.com/"):
        remote, _, fragment = path.partition("#")
        return GitSource("https://" + remote, *_fragment(fragment))
    scheme = _SCHEME.match(path)
    if scheme is not None:
        name = scheme.group(0)[:-3].lower()
        if name not in _GIT_SCHEMES:
            return None
        remote, _, fragment = path.partition("#")
        if name in ("http", "https") and not remote.split("?")[0].endswith(".git"):
            return None
    elif _SCP.fullmatch(path.partition("#")[0]):
        remote, _, fragment = path.partition("#")
    else:
        return None
    ref, subdir = _fragment(fragment)
    return GitSource(remote, ref, subdir)


def _fragment(fragment: str) -> tuple[str, str]:
    """The ref and subdirectory of ``#REF:PATH`` or ``##ref=REF,subdir=PATH``."""
    if not fragment.startswith("#"):
        ref, _, subdir = fragment.partition(":")
        return ref, subdir
    fields = dict(f.partition("=")[::2] for f in fragment[1:].split(",") if f)
    unknown = sorted(set(fields) - {"ref", "subdir", "commit"})
    if unknown:
        raise RemoteError(
            f"unknown key {unknown[0]!r} in the git URL fragment",
            hint="use ref=, commit= and subdir=",
        )
    return fields.get("ref") or fields.get("commit", ""), fields.get("subdir", "")


def cache_base(environ: Mapping[str, str]) -> str:
    """composer's cache directory: ``$XDG_CACHE_HOME/composer``."""
    base = environ.get("XDG_CACHE_HOME") or os.path.join(
        environ.get("HOME") or os.path.expanduser("~"), ".cache"
    )
    return os.path.join(base, "composer")


def cache_root(environ: Mapping[str, str]) -> str:
    """Where fetched repositories are kept."""
    return os.path.join(cache_base(environ), "git")


def fetch_git_include(source: GitSource, environ: Mapping[str, str]) -> str:
    """The local Compose file for ``source``, fetching the repository if needed."""
    import shutil  # these three only when a remote include is really fetched

    check_enabled(environ, ENABLE_VARIABLE, "git")
    if shutil.which("git", path=environ.get("PATH")) is None:
        raise RemoteError(
            "git is not installed", hint="install git to include remote files"
        )
    git_env = _git_environment(environ)
    commit = source.ref if _COMMIT.fullmatch(source.ref) else ""
    if not commit:
        commit = _resolve(source, git_env)
    checkout = os.path.join(cache_root(environ), commit)
    if not os.path.isdir(checkout):
        _fetch(source, commit, checkout, git_env)
    else:
        log.debug("remote include %s: using %s", redact(source.remote), checkout)
    return _compose_file(checkout, source.subdir)


def check_enabled(environ: Mapping[str, str], variable: str, kind: str) -> None:
    """Raise unless ``variable`` is unset or true; ``kind`` names the includes."""
    value = environ.get(variable, "")
    if not value or value in _TRUE:
        return
    if value in _FALSE:
        raise RemoteError(f"{kind} remote includes are disabled by {variable}")
    raise RemoteError(f"{variable} expects a boolean, got {value!r}")


def _git_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment git runs with: never prompt, never wait for a person."""
    env = dict(environ)
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    if not env.get("GIT_SSH") and not env.get("GIT_SSH_COMMAND"):
        env["GIT_SSH_COMMAND"] = "ssh -o ControlMaster=no -o BatchMode=yes"
    return env


def _git(
    args: Sequence[str], env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    import subprocess

    log.debug("running git %s", redact(" ".join(args)))
    return subprocess.run(
        ["git", *args],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )


def _resolve(source: GitSource, env: Mapping[str, str]) -> str:
    """The commit a named ref points to, asked of the remote repository."""
    ref = source.ref or "HEAD"
    # Asking for ``REF^{}`` too lists the commit an annotated tag points to.
    done = _git(["ls-remote", "--exit-code", source.remote, ref, ref + "^{}"], env)
    if done.returncode == 2:
        raise RemoteError(
            f"repository {source.remote} has no ref {ref!r}",
            hint="check the branch or tag after # in the include path",
        )
    if done.returncode != 0:
        raise RemoteError(
            f"cannot reach repository {source.remote}: {_first_error(done.stderr)}"
        )
    refs: dict[str, str] = {}
    for line in done.stdout.splitlines():
        sha, _, name = line.strip().partition("\t")
        refs[name] = sha
    for name in (ref, f"refs/{ref}", f"refs/tags/{ref}", f"refs/heads/{ref}"):
        found = refs.get(f"{name}^{{}}") or refs.get(name)
        if found is not None and _COMMIT.fullmatch(found):
            return found
    raise RemoteError(f"repository {source.remote} has no ref {ref!r}")


def _fetch(
    source: GitSource, commit: str, checkout: str, env: Mapping[str, str]
) -> None:
    """Fetch one commit into ``checkout``, all or nothing."""
    with filling(checkout) as work:
        steps = (
            ["init", "-q", work],
            ["-C", work, "fetch", "-q", "--depth=1", source.remote, commit],
            ["-C", work, "-c", "advice.detachedHead=false", "checkout", "-q", commit],
        )
        for args in steps:
            done = _git(args, env)
            if done.returncode != 0:
                raise RemoteError(
                    f"cannot fetch {commit[:12]} from {source.remote}: "
                    f"{_first_error(done.stderr)}"
                )
    log.debug("remote include %s: fetched %s", redact(source.remote), checkout)


@contextmanager
def filling(directory: str) -> Iterator[str]:
    """A new directory beside ``directory``, moved there once the block succeeds.

    All or nothing: on an error the work directory is removed.  When another
    run has put ``directory`` in place first, its copy is kept.
    """
    import shutil
    import tempfile

    parent = os.path.dirname(directory)
    os.makedirs(parent, mode=0o700, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".fetch-", dir=parent)
    try:
        yield work
        try:
            os.rename(work, directory)
        except OSError:
            if not os.path.isdir(directory):  # not merely filled by another run
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _compose_file(checkout: str, subdir: str) -> str:
    """The file ``subdir`` names inside the checkout (a default name in a dir)."""
    relative = os.path.normpath(subdir or ".")
    if os.path.isabs(relative) or relative == ".." or relative.startswith("../"):
        raise RemoteError(
            f"path {subdir!r} leaves the repository",
            hint="give a path relative to the repository's root",
        )
    target = os.path.join(checkout, relative)
    root = os.path.realpath(checkout)
    if not os.path.realpath(target).startswith(root + os.sep) and relative != ".":
        raise RemoteError(
            f"path {subdir!r} leaves the repository (through a symbolic link)"
        )
    if os.path.isdir(target):
        for name in DEFAULT_FILES:
            candidate = os.path.join(target, name)
            if os.path.isfile(candidate):
                return os.path.normpath(candidate)
        raise RemoteError(
            f"no Compose file in {subdir or 'the repository root'}",
            hint=f"name the file after ':' or add one of {', '.join(DEFAULT_FILES)}",
        )
    if not os.path.isfile(target):
        raise RemoteError(f"{subdir} not found in the repository")
    return os.path.normpath(target)


def _first_error(text: str) -> str:
    """git's own explanation: its first ``fatal:`` line, else its first line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("fatal:")]
    return (fatal or lines or ["git failed"])[0].removeprefix("fatal: ")


def redact(url: str) -> str:
    """``url`` with the password of its user part hidden, for messages."""
    return re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", url)
