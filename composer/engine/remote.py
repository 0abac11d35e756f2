"""Remote build contexts: which addresses are git repositories, and which
commit a git context names now.

The engine fetches a remote context itself (``URL#REF:DIR`` for git, as the
Docker CLI spells it).  composer asks the repository with ``git ls-remote``
which commit ``REF`` is now, so a new commit on the branch makes the built
image stale.  A tarball or Dockerfile URL has no revision to ask for, and a
repository that cannot be reached gives none: then whether the image is
stale is unknown, and the plan says so.  No Docker SDK here.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: Prefixes that make an address a git repository, as the engine reads them.
_GIT_PREFIXES = ("git://", "git@", "github.com/", "ssh://")
_URL = re.compile(r"^https?://")
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")

#: Seconds one ``git ls-remote`` may take before the revision is unknown.
LS_REMOTE_TIMEOUT = 20.0


@dataclass(frozen=True)
class GitContext:
    """A git build context: the repository, the ref and the directory in it."""

    url: str
    ref: str | None = None
    directory: str | None = None


def git_context(address: str) -> GitContext | None:
    """The git repository an address names, or None when it is not one."""
    base, _, fragment = address.partition("#")
    is_git = base.startswith(_GIT_PREFIXES) or (
        bool(_URL.match(base)) and base.split("?", 1)[0].endswith(".git")
    )
    if not is_git:
        return None
    if base.startswith("github.com/"):
        base = "https://" + base
    ref, _, directory = fragment.partition(":")
    return GitContext(base, ref or None, directory or None)


def revision(address: str) -> str | None:
    """The commit a git context names now; None when it cannot be known."""
    found = git_context(address)
    if found is None:
        return None
    if found.ref is not None and _COMMIT.match(found.ref):
        return found.ref  # a commit ID names the same content forever
    refs = _ls_remote(found.url)
    if refs is None:
        return None
    wanted = found.ref or "HEAD"
    for name in (
        wanted,
        f"refs/heads/{wanted}",
        f"refs/tags/{wanted}^{{}}",
        f"refs/tags/{wanted}",
    ):
        if name in refs:
            return refs[name]
    log.debug("ref %s not found in %s", wanted, found.url)
    return None


def _ls_remote(url: str) -> dict[str, str] | None:
    """Every ref of a repository and its commit, or None when git fails."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        done = subprocess.run(
            ["git", "ls-remote", "--quiet", url],
            capture_output=True,
            text=True,
            check=False,
            timeout=LS_REMOTE_TIMEOUT,
            env=env,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.debug("git ls-remote %s failed: %s", url, exc)
        return None
    if done.returncode != 0:
        log.debug("git ls-remote %s failed: %s", url, done.stderr.strip())
        return None
    refs: dict[str, str] = {}
    for line in done.stdout.splitlines():
        commit, _, name = line.partition("\t")
        if name:
            refs[name.strip()] = commit.strip()
    return refs
