"""`composer sync` against a local bare git repository (issue 7).

Each test runs single ``--once`` iterations so that it is deterministic.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import docker
from reconcile_support import (  # noqa: F401
    COMPOSER,
    Deployment,
    deployment_fixture,
)

from composer.errors import ExitCode

TWO = """
services:
  a:
    image: busybox:local
    command: ["sleep", "3600"]
    init: true
    environment:
      A: "@A@"
  b:
    image: busybox:local
    command: ["sleep", "3600"]
    init: true
    environment:
      B: one
      B_PASSWORD: @PW@
"""


class Repo:
    """A bare repository and a clone to commit into."""

    def __init__(self, root: Path) -> None:
        self.bare = root / "remote.git"
        self.work = root / "work"
        self._git(root, "init", "--quiet", "--bare", str(self.bare))
        self._git(root, "init", "--quiet", "-b", "main", str(self.work))
        self._git(self.work, "remote", "add", "origin", str(self.bare))

    def commit(self, files: dict[str, str], message: str) -> str:
        """Write files under deploy/, commit, push; return the commit ID."""
        for name, text in files.items():
            path = self.work / "deploy" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        self._git(self.work, "add", "-A")
        self._git(self.work, "commit", "--quiet", "-m", message)
        self._git(self.work, "push", "--quiet", "origin", "main")
        return self._git(self.work, "rev-parse", "HEAD").strip()

    @staticmethod
    def _git(cwd: Path, *args: str) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.invalid",
        }
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def _compose(a: str = "1", pw: str = "sync-planted-pw-1") -> str:
    return TWO.replace("@A@", a).replace("@PW@", pw)


def _sync(
    d: Deployment, repo: Repo, *extra: str, code: int, progress: str = "plain"
) -> str:
    proc = d.run(
        "--progress",
        progress,
        "-p",
        d.name,
        "sync",
        str(repo.bare),
        "--ref",
        "main",
        "--path",
        "deploy",
        "--cache",
        str(d.path / "cache"),
        "--once",
        *extra,
        ok=False,
    )
    assert proc.returncode == code, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def _commits(d: Deployment) -> dict[str, str]:
    client = docker.from_env()
    found = client.containers.list(
        all=True, filters={"label": f"com.docker.compose.project={d.name}"}
    )
    return {c.name: c.labels.get("composer.git-commit", "") for c in found}


def _converged(d: Deployment, repo: Repo) -> None:
    _sync(d, repo, code=ExitCode.OK)
    proc = d.run("-p", d.name, "diff", "--exit-code", cwd=repo.work / "deploy")
    assert proc.returncode == 0


def test_sync_follows_commits(deployment: Deployment, tmp_path: Path) -> None:
    d = deployment
    repo = Repo(tmp_path)
    first = repo.commit({"compose.yaml": _compose()}, "two services")

    _sync(d, repo, code=ExitCode.CHANGES)
    assert _commits(d) == {f"{d.name}-a-1": first, f"{d.name}-b-1": first}
    network = docker.from_env().networks.get(f"{d.name}_default")
    assert network.attrs["Labels"]["composer.git-commit"] == first
    ids = d.ids()
    listed = d.run("-p", d.name, "ps", cwd=repo.work / "deploy")
    assert first[:12] in listed.stdout

    # The next commit changes one service: only that one is recreated.
    second = repo.commit({"compose.yaml": _compose(a="2")}, "change a")
    out = _sync(d, repo, code=ExitCode.CHANGES)
    assert "recreate container" in out
    after = d.ids()
    assert after[f"{d.name}-b-1"] == ids[f"{d.name}-b-1"]
    assert after[f"{d.name}-a-1"] != ids[f"{d.name}-a-1"]
    assert _commits(d)[f"{d.name}-a-1"] == second
    _converged(d, repo)

    # An invalid commit changes nothing and is reported with commit and line.
    bad = repo.commit({"compose.yaml": "services:\n  a:\n    image: [oops\n"}, "bad")
    out = _sync(d, repo, code=ExitCode.INVALID)
    assert bad[:12] in out
    assert "deploy/compose.yaml:3:12" in out and "invalid" in out
    assert d.ids() == after

    # Reverting converges back.
    repo.commit({"compose.yaml": _compose()}, "revert")
    _sync(d, repo, code=ExitCode.CHANGES)
    final = d.ids()
    assert final[f"{d.name}-b-1"] == ids[f"{d.name}-b-1"]
    _converged(d, repo)


def test_sync_refuses_to_remove_everything(
    deployment: Deployment, tmp_path: Path
) -> None:
    d = deployment
    repo = Repo(tmp_path)
    repo.commit({"compose.yaml": _compose()}, "two services")
    _sync(d, repo, code=ExitCode.CHANGES)
    ids = d.ids()

    empty = repo.commit({"compose.yaml": "services: {}\n"}, "delete all")
    out = _sync(d, repo, code=ExitCode.FAILED)
    assert "would remove every service" in out and empty[:12] in out
    assert d.ids() == ids

    _sync(d, repo, "--allow-empty", code=ExitCode.CHANGES)
    assert d.ids() == {}
    _sync(d, repo, "--allow-empty", code=ExitCode.OK)


SECRETS = """
services:
  a:
    image: busybox:local
    command: ["sleep", "3600"]
    init: true
    env_file: app.env
    environment:
      B_PASSWORD: @PW@
    secrets: [db]
secrets:
  db:
    file: ./db.secret
"""


def _secret_files(generation: int) -> dict[str, str]:
    return {
        "compose.yaml": SECRETS.replace("@PW@", f"sync-planted-pw-{generation}"),
        "app.env": f"CREDENTIALS=sync-planted-env-{generation}\n",
        "db.secret": f"sync-planted-file-{generation}",
    }


def test_sync_masks_secrets_and_notifies(
    deployment: Deployment, tmp_path: Path
) -> None:
    d = deployment
    repo = Repo(tmp_path)
    repo.commit(_secret_files(1), "one service with secrets")
    notes = tmp_path / "notes.json"
    hook = f"cat > {notes}"
    out = _sync(d, repo, "--on-change", hook, code=ExitCode.CHANGES)
    assert "sync-planted" not in out
    # Text progress: the plan names each changed field, never its value.
    repo.commit(_secret_files(2), "rotate")
    out = _sync(d, repo, "--on-change", hook, code=ExitCode.CHANGES)
    assert "sync-planted" not in out
    for path in ("B_PASSWORD", "CREDENTIALS", "content of secrets.db"):
        assert path in out, out
    result = json.loads(notes.read_text())
    assert result["status"] == "applied" and result["trigger"] == "commit"
    assert "sync-planted" not in notes.read_text()
    paths = [x["path"] for s in result["plan"]["steps"] for x in s["diffs"]]
    assert "environment.B_PASSWORD" in paths
    assert "environment.CREDENTIALS" in paths
    # JSON progress: the same, every event parses and none holds a value.
    repo.commit(_secret_files(3), "rotate as JSON")
    out = _sync(d, repo, code=ExitCode.CHANGES, progress="json")
    assert "sync-planted" not in out
    events = [json.loads(t) for t in out.splitlines() if t.startswith("{")]
    assert events, out
    for path in ("B_PASSWORD", "CREDENTIALS", "content of secrets.db"):
        assert path in out, out
    repo.commit(_secret_files(4), "rotate again")
    shown = _sync(d, repo, "--show-values", code=ExitCode.CHANGES)
    assert "sync-planted-pw-4" in shown and "sync-planted-env-4" in shown
    _converged(d, repo)


def _wait_for(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError("timed out waiting")


def test_sync_keeps_following(deployment: Deployment, tmp_path: Path) -> None:
    d = deployment
    repo = Repo(tmp_path)
    first = repo.commit({"compose.yaml": _compose()}, "two services")
    command = [
        COMPOSER,
        "--progress",
        "plain",
        "-p",
        d.name,
        "sync",
        str(repo.bare),
        "--path",
        "deploy",
        "--cache",
        str(d.path / "cache"),
        "--interval",
        "1s",
    ]
    proc = subprocess.Popen(
        command, cwd=d.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        _wait_for(lambda: set(_commits(d).values()) == {first})
        second = repo.commit({"compose.yaml": _compose(a="2")}, "change a")
        _wait_for(lambda: _commits(d).get(f"{d.name}-a-1") == second)
        # Drift between commits is undone.
        docker.from_env().containers.get(f"{d.name}-b-1").remove(force=True)
        _wait_for(lambda: f"{d.name}-b-1" in _commits(d))
        # Behind an invalid commit the last good one is still kept converged.
        bad = repo.commit({"compose.yaml": "services: [\n"}, "bad")
        time.sleep(3)
        docker.from_env().containers.get(f"{d.name}-b-1").remove(force=True)
        _wait_for(lambda: f"{d.name}-b-1" in _commits(d))
        assert _commits(d)[f"{d.name}-b-1"] == second
        repo.commit({"compose.yaml": _compose(a="2")}, "fixed")
        time.sleep(2)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "Traceback" not in out
    assert out.count(f"{bad[:12]}: invalid") == 1, out
    assert proc.returncode == ExitCode.INTERRUPTED, out
    assert _leases(d) == []
    _converged(d, repo)


def _leases(d: Deployment) -> list[str]:
    client = docker.from_env()
    found = client.containers.list(
        all=True, filters={"label": f"composer.lock={d.name}"}
    )
    return [c.name for c in found]


def test_sync_heals_drift_from_engine_events(
    deployment: Deployment, tmp_path: Path
) -> None:
    """Between commits, the engine's events (not the fetch timer) undo drift."""
    d = deployment
    repo = Repo(tmp_path)
    first = repo.commit({"compose.yaml": _compose()}, "two services")
    command = [COMPOSER, "--progress", "plain", "-p", d.name, "sync", str(repo.bare)]
    command += ["--path", "deploy", "--cache", str(d.path / "cache")]
    # An interval far longer than the test: only an event can trigger a pass.
    command += ["--interval", "1h"]
    proc = subprocess.Popen(
        command, cwd=d.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        _wait_for(lambda: set(_commits(d).values()) == {first})
        ids = d.ids()
        client = docker.from_env()
        client.containers.get(f"{d.name}-b-1").remove(force=True)
        _wait_for(lambda: f"{d.name}-b-1" in _commits(d))
        client.containers.get(f"{d.name}-a-1").remove(force=True)
        _wait_for(lambda: f"{d.name}-a-1" in _commits(d))
        after = d.ids()
        assert after.keys() == ids.keys() and not set(after.values()) & set(
            ids.values()
        )
        assert _commits(d) == {f"{d.name}-a-1": first, f"{d.name}-b-1": first}
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
    assert "Traceback" not in out
    assert out.count("engine drift, converging") >= 2, out
    assert "sync-planted-pw" not in out
    # SIGTERM ends the follower after the pass in flight: its lease is released.
    assert proc.returncode == ExitCode.INTERRUPTED, out
    assert _leases(d) == []
    _converged(d, repo)


STUCK = """
services:
  a:
    image: busybox:local
    command: ["sleep", "3600"]
    init: true
    depends_on:
      b: {condition: service_healthy}
  b:
    image: busybox:local
    command: ["sleep", "3600"]
    init: true
    healthcheck:
      test: ["CMD", "@CHECK@"]
      interval: 1s
      start_period: @START@
"""


def test_a_killed_sync_leaves_a_lease_the_next_takes_over(
    deployment: Deployment, tmp_path: Path
) -> None:
    """SIGKILL mid-apply leaves the lease; the next sync takes it over, saying so."""
    d = deployment
    repo = Repo(tmp_path)
    # b stays "starting" for an hour, so the apply waits for it under the lease.
    stuck = STUCK.replace("@CHECK@", "false").replace("@START@", "1h")
    repo.commit({"compose.yaml": stuck}, "a waits for b, which never gets healthy")
    command = [COMPOSER, "--progress", "plain", "-p", d.name, "sync", str(repo.bare)]
    command += ["--path", "deploy", "--cache", str(d.path / "cache")]
    proc = subprocess.Popen(
        [*command, "--interval", "1h"],
        cwd=d.path,
        env={**os.environ, "COMPOSER_LOCK_TTL": "2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(lambda: bool(_leases(d)) and f"{d.name}-b-1" in _commits(d))
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert _leases(d), "the killed sync's lease should still be there"
    assert f"{d.name}-a-1" not in _commits(d)

    fixed = repo.commit(
        {"compose.yaml": STUCK.replace("@CHECK@", "true").replace("@START@", "0s")},
        "b gets healthy",
    )
    out = _sync(d, repo, "--lock-timeout", "120", code=ExitCode.CHANGES)
    assert "taking over the expired lease" in out, out
    assert _commits(d) == {f"{d.name}-a-1": fixed, f"{d.name}-b-1": fixed}
    assert _leases(d) == []
    _converged(d, repo)
