"""The git checkout `composer sync` follows, and its option parsing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import typer

from composer.cli.gitops_cmds import duration_seconds
from composer.gitops.git import Checkout, GitError

_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=_ENV, check=True, capture_output=True, text=True
    ).stdout.strip()


def _commit(work: Path, text: str) -> str:
    (work / "compose.yaml").write_text(text)
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", text)
    _git(work, "push", "-q", "origin", "HEAD:main")
    return _git(work, "rev-parse", "HEAD")


@pytest.fixture(name="repo")
def repo_fixture(tmp_path: Path) -> tuple[Path, Path]:
    bare, work = tmp_path / "My-App.git", tmp_path / "work"
    _git(tmp_path, "init", "-q", "--bare", str(bare))
    _git(tmp_path, "init", "-q", "-b", "main", str(work))
    _git(work, "remote", "add", "origin", str(bare))
    return bare, work


def test_checkout_follows_the_branch(repo: tuple[Path, Path], tmp_path: Path) -> None:
    bare, work = repo
    first = _commit(work, "one")
    checkout = Checkout(str(bare), "main", str(tmp_path / "cache"))
    assert checkout.update() == first
    assert os.path.basename(checkout.directory) == "my-app"
    assert (Path(checkout.directory) / "compose.yaml").read_text() == "one"

    second = _commit(work, "two")
    (Path(checkout.directory) / "stray.txt").write_text("left by someone")
    assert checkout.update() == second
    assert (Path(checkout.directory) / "compose.yaml").read_text() == "two"
    assert not (Path(checkout.directory) / "stray.txt").exists()
    assert checkout.subject(second) == "two"

    checkout.switch(first)
    assert (Path(checkout.directory) / "compose.yaml").read_text() == "one"
    pinned = Checkout(str(bare), first, str(tmp_path / "cache"))
    assert pinned.update() == first


def test_unknown_ref_and_repository(repo: tuple[Path, Path], tmp_path: Path) -> None:
    bare, work = repo
    _commit(work, "one")
    with pytest.raises(GitError, match="ref nope not found"):
        Checkout(str(bare), "nope", str(tmp_path / "c1")).update()
    with pytest.raises(GitError, match="git clone failed"):
        Checkout(str(tmp_path / "missing.git"), "main", str(tmp_path / "c2")).update()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("60s", 60.0), ("5m", 300.0), ("1h", 3600.0), ("250ms", 0.25), ("12", 12.0)],
)
def test_intervals(text: str, seconds: float) -> None:
    assert duration_seconds(text) == seconds


def test_bad_interval() -> None:
    with pytest.raises(typer.BadParameter):
        duration_seconds("soon")
