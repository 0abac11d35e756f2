"""The git checkout `composer sync` follows, and its option parsing."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest
import typer

from composer.cli.gitops_cmds import duration_seconds
from composer.gitops.git import Checkout, GitError
from composer.gitops.sync import SyncResult, notify
from composer.plan import Plan

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


def test_on_change_command_and_webhook(tmp_path: Path) -> None:
    result = SyncResult("applied", "c" * 40, "p", "c" * 40, None, Plan("p"))
    out = tmp_path / "got.json"
    notify(f"cat > {out}", result)
    assert json.loads(out.read_text())["commit"] == "c" * 40

    received: list[bytes] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(self.rfile.read(length))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    notify(f"http://127.0.0.1:{server.server_port}/hook", result)
    thread.join(10)
    server.server_close()
    assert json.loads(received[0])["status"] == "applied"
