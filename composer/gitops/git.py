"""A checkout of one ref of a git repository, kept in a cache directory.

Only the ``git`` command-line tool is used.  The checkout directory stays the
same from commit to commit, so the absolute paths a project resolves (bind
mounts, secret files) do not change with every commit.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
from dataclasses import dataclass

from composer.errors import ComposerError, ExitCode

log = logging.getLogger(__name__)


class GitError(ComposerError):
    """git could not clone, fetch or check out what was asked."""

    exit_code = ExitCode.FAILED
    code = "C320"


@dataclass(frozen=True)
class Checkout:
    """Where a repository is cloned and which ref to follow."""

    repo: str
    ref: str
    cache: str

    @property
    def directory(self) -> str:
        """The working tree; named after the repository, for the project name."""
        return os.path.join(self.cache, _key(self.repo), _name(self.repo))

    def update(self) -> str:
        """Clone or fetch, check out the ref's newest commit, return its ID."""
        if not os.path.isdir(os.path.join(self.directory, ".git")):
            os.makedirs(os.path.dirname(self.directory), exist_ok=True)
            _git(None, "clone", "--quiet", "--no-checkout", self.repo, self.directory)
        else:
            _git(self.directory, "fetch", "--quiet", "--prune", "--force", "origin")
        commit = self.resolve()
        self.switch(commit)
        return commit

    def resolve(self) -> str:
        """The commit the ref names now (a branch, tag or commit ID)."""
        for candidate in (f"origin/{self.ref}", self.ref):
            done = subprocess.run(
                [
                    "git",
                    "-C",
                    self.directory,
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    f"{candidate}^{{commit}}",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode == 0:
                return done.stdout.strip()
        raise GitError(f"ref {self.ref} not found in {self.repo}")

    def switch(self, commit: str) -> None:
        """Make the working tree exactly ``commit``."""
        _git(self.directory, "checkout", "--quiet", "--force", "--detach", commit)
        _git(self.directory, "clean", "--quiet", "-d", "--force", "-x")

    def subject(self, commit: str) -> str:
        """The first line of a commit's message."""
        return _git(self.directory, "log", "-1", "--format=%s", commit).strip()


def _git(cwd: str | None, *args: str) -> str:
    command = ["git", *(["-C", cwd] if cwd else []), *args]
    log.debug("running %s", " ".join(command))
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {args[0]} failed: {exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        raise GitError(f"git {args[0]} failed: {detail[-1] if detail else ''}")
    return done.stdout


def _key(repo: str) -> str:
    return hashlib.sha256(repo.encode()).hexdigest()[:12]


def _name(repo: str) -> str:
    base = repo.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    base = base.removesuffix(".git") or "project"
    return re.sub(r"[^a-z0-9_-]", "", base.lower()) or "project"
