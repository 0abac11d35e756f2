"""Planted secret values appear in no output of any command (issue 7).

The project plants fake secrets in a secret file, an ``env_file``, a
``*_PASSWORD`` variable and a build argument that the build prints, so the
values would show in plans (text and JSON), saved plans, progress lines
(plain and JSON, build output included) and the watch loop's passes.  Each
generation changes every value; the change must still be reported, and
``--show-values`` must show the values, which proves the masking is what
hides them.  `sync` is covered by test_gitops_sync.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator

import docker
import pytest
from reconcile_support import COMPOSER, Deployment, cleanup, deployment_fixture  # noqa: F401
from test_build import remove_built_images

from composer.errors import ExitCode

COMPOSE = """
name: @P@
services:
  web:
    build:
      context: ./ctx
      dockerfile_inline: |
        FROM busybox:local
        ARG DB_PASSWORD
        RUN echo "@P@ built with $$DB_PASSWORD"
        CMD ["sleep", "3600"]
      args: {DB_PASSWORD: "@PW@"}
    init: true
    stop_signal: SIGKILL
    env_file: app.env
    environment:
      DB_PASSWORD: "@PW@"
      MODE: one
    secrets: [db]
secrets:
  db:
    file: ./db.secret
"""

PLANTED = ("pw-planted-4711", "envfile-planted-0815", "secretfile-planted-1234")


@pytest.fixture
def project(deployment: Deployment) -> Iterator[Deployment]:
    """A deployment whose built images are removed afterwards."""
    yield deployment
    cleanup(deployment.name)
    remove_built_images(deployment.name)


def _write(d: Deployment, generation: int) -> None:
    (d.path / "ctx").mkdir(exist_ok=True)
    pw, env_value, secret = (f"{value}-{generation}" for value in PLANTED)
    d.write(COMPOSE.replace("@PW@", pw))
    d.write(f"CREDENTIALS={env_value}\n", "app.env")
    d.write(secret, "db.secret")


def _hidden(text: str) -> None:
    for planted in PLANTED:
        assert planted not in text, text


def _both(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


def _events(stderr: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def _password(d: Deployment) -> str:
    container = docker.from_env().containers.get(f"{d.name}-web-1")
    for entry in container.attrs["Config"]["Env"]:
        if entry.startswith("DB_PASSWORD="):
            return str(entry.split("=", 1)[1])
    return ""


def _wait_for(check: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except docker.errors.NotFound:
            pass
        time.sleep(0.3)
    raise AssertionError("timed out waiting")


def _watch(d: Deployment, progress: str, password: str) -> str:
    """Run `watch` until its first pass deployed ``password``; its output."""
    watching = subprocess.Popen(
        [COMPOSER, "--progress", progress, "watch", "--interval", "600"],
        cwd=d.path,
        env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(lambda: _password(d) == password)
        time.sleep(1)  # the pass prints its result after the apply
    finally:
        watching.terminate()
        out, _ = watching.communicate(timeout=60)
    assert "Traceback" not in out
    _hidden(out)
    return out


def test_no_command_shows_a_secret_value(project: Deployment) -> None:
    d = project
    _write(d, 1)
    first = d.run("--progress", "json", "up", "-d")
    _hidden(_both(first))
    texts = [str(e["text"]) for e in _events(first.stderr)]
    assert any("built with ********" in t for t in texts), texts

    # diff, plan and a saved plan: the change shows, the values do not.
    _write(d, 2)
    text = d.run("diff")
    _hidden(_both(text))
    for path in ("environment.DB_PASSWORD", "environment.CREDENTIALS"):
        assert path in text.stdout
    assert "content of secrets.db" in text.stdout
    as_json = d.run("diff", "--format", "json")
    _hidden(_both(as_json))
    diffs = {
        x["path"]: x for s in json.loads(as_json.stdout)["steps"] for x in s["diffs"]
    }
    assert diffs["environment.DB_PASSWORD"]["sensitive"] is True
    planned = d.run("plan")
    _hidden(_both(planned))
    assert "environment.DB_PASSWORD" in planned.stdout
    saved = d.run("plan", "--format", "json", "--out", "plan.json")
    _hidden(_both(saved) + (d.path / "plan.json").read_text())
    assert "pw-planted-4711-2" in d.run("diff", "--show-values").stdout
    assert "pw-planted-4711-2" in d.run("plan", "--show-values").stdout

    # apply and up: the plan and the progress lines, build output included.
    applied = d.run("apply", "plan.json")
    _hidden(_both(applied))
    assert "built with ********" in applied.stderr, applied.stderr
    assert _password(d) == "pw-planted-4711-2"
    _write(d, 3)
    upped = d.run("--progress", "plain", "up", "-d")
    _hidden(_both(upped))
    assert "environment.DB_PASSWORD" in upped.stdout
    assert "built with ********" in upped.stderr, upped.stderr

    # reconcile: the pass's plan, and its progress as JSON events and as text.
    _write(d, 4)
    passed = d.run("--progress", "json", "reconcile", "--once", ok=False)
    assert passed.returncode == ExitCode.CHANGES, _both(passed)
    _hidden(_both(passed))
    assert "environment.DB_PASSWORD" in passed.stdout
    assert any("********" in str(e["text"]) for e in _events(passed.stderr))
    _write(d, 5)
    plain = d.run("--progress", "plain", "reconcile", "--once", ok=False)
    assert plain.returncode == ExitCode.CHANGES, _both(plain)
    _hidden(_both(plain))
    assert "environment.DB_PASSWORD" in plain.stdout
    assert "built with ********" in plain.stderr, plain.stderr
    _write(d, 6)
    shown = d.run("reconcile", "--once", "--show-values", ok=False)
    assert shown.returncode == ExitCode.CHANGES
    assert "pw-planted-4711-6" in shown.stdout
    assert "built with pw-planted-4711-6" in shown.stderr

    # build: its output is masked too, in text and JSON, unless --show-values.
    for progress in ("plain", "json"):
        rebuilt = d.run("--progress", progress, "build", "--no-cache", "web")
        _hidden(_both(rebuilt))
        assert "built with ********" in rebuilt.stderr, rebuilt.stderr
    rebuilt = d.run("build", "--no-cache", "--show-values", "web")
    assert "built with pw-planted-4711-6" in rebuilt.stderr, rebuilt.stderr

    # watch: the first pass's plan and progress, as text and as JSON events.
    _write(d, 7)
    out = _watch(d, "plain", "pw-planted-4711-7")
    assert "environment.DB_PASSWORD" in out and "built with ********" in out, out
    _write(d, 8)
    out = _watch(d, "json", "pw-planted-4711-8")
    assert "environment.DB_PASSWORD" in out, out
    texts = [str(e.get("text")) for e in _events(out)]
    assert any("built with ********" in t for t in texts), out
    d.assert_converged()
