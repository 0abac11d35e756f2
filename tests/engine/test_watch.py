"""`composer watch` against a real engine: file edits, invalid saves, sync rules.

The watcher runs as a subprocess and is interrupted (SIGINT) at the end of
each test; it must then exit 130 without a traceback and leave no lease.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
from reconcile_support import COMPOSER, Deployment, cleanup

from composer.engine.lease import lease_name

pytestmark = pytest.mark.engine


class Watcher:
    """A ``composer`` loop running in the background, its output in a file."""

    def __init__(self, dep: Deployment, *args: str, env: dict[str, str] | None = None):
        self.log = dep.path.parent / f"{dep.name}-{uuid.uuid4().hex[:6]}.log"
        self.out = self.log.open("w")
        self.proc = subprocess.Popen(
            [COMPOSER, "--progress", "plain", *args],
            cwd=dep.path,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})},
        )

    def text(self) -> str:
        """Everything the loop printed so far."""
        return self.log.read_text()

    def wait_for(self, needle: str, timeout: float = 30.0, count: int = 1) -> None:
        """Wait until ``needle`` appears ``count`` times in the output."""
        wait_until(
            lambda: self.text().count(needle) >= count,
            timeout,
            lambda: f"{needle!r} not seen; output:\n{self.text()}",
        )
        assert self.proc.poll() is None, self.text()

    def interrupt(self) -> int:
        """Ctrl-C: return the exit status."""
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=30)
        finally:
            self.out.close()

    def kill(self) -> None:
        """Make sure the process is gone."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.out.close()


def wait_until(
    check: Callable[[], bool], timeout: float, why: Callable[[], str] = lambda: ""
) -> None:
    """Poll ``check`` until it holds; fail with ``why()`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s: {why()}")


def env_of(name: str) -> dict[str, str]:
    """The environment of a container, by container name ({} while it is away)."""
    try:
        config = docker.from_env().api.inspect_container(name)["Config"]
    except docker.errors.NotFound:
        return {}
    return dict(item.split("=", 1) for item in config["Env"])


def ids(dep: Deployment) -> dict[str, str]:
    """Container ID by name for the project, from one list request."""
    found = docker.from_env().api.containers(
        all=True, filters={"label": f"com.docker.compose.project={dep.name}"}
    )
    return {str(c["Names"][0]).lstrip("/"): str(c["Id"]) for c in found}


def lease_exists(project: str) -> bool:
    """Whether the project's lease container is present."""
    found = docker.from_env().containers.list(
        all=True, filters={"name": lease_name(project)}
    )
    return any(c.name == lease_name(project) for c in found)


@pytest.fixture(name="dep")
def dep_fixture(tmp_path: Path) -> Iterator[Deployment]:
    """A project directory with a unique name, cleaned up by label afterwards."""
    name = f"cw{uuid.uuid4().hex[:10]}"
    path = tmp_path / name
    path.mkdir()
    yield Deployment(path, name)
    cleanup(name)
    client = docker.from_env()
    for c in client.containers.list(all=True, filters={"name": lease_name(name)}):
        c.remove(force=True)


@pytest.fixture(name="start")
def start_fixture() -> Iterator[Callable[..., Watcher]]:
    """Start watchers; each is killed at the end, also when the test fails."""
    started: list[Watcher] = []

    def start(
        dep: Deployment, *args: str, env: dict[str, str] | None = None
    ) -> Watcher:
        watcher = Watcher(dep, *args, env=env)
        started.append(watcher)
        return watcher

    yield start
    for watcher in started:
        watcher.kill()


TWO = """
name: @P@
services:
  web:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
    env_file: [web.env]
    environment: {GREETING: hello, FROM_DOTENV: "${TAG}"}
  db:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
    environment: {ROLE: db}
"""


def finish(dep: Deployment, watcher: Watcher) -> None:
    """Ctrl-C ends cleanly; nothing is locked; the project is converged."""
    code = watcher.interrupt()
    text = watcher.text()
    assert code == 130, text
    assert "Traceback" not in text, text
    assert not lease_exists(dep.name)
    dep.assert_converged()


def test_edits_recreate_only_the_edited_service(
    dep: Deployment, start: Callable[..., Watcher]
) -> None:
    """compose.yaml, .env and env_file edits each recreate only what they change."""
    dep.write(TWO)
    dep.write("TAG=one\n", ".env")
    dep.write("FROM_FILE=a\n", "web.env")
    watcher = start(dep, "watch", "--debounce", "100")
    watcher.wait_for("applied", 60)
    first = ids(dep)
    assert set(first) == {f"{dep.name}-web-1", f"{dep.name}-db-1"}
    web, db = f"{dep.name}-web-1", f"{dep.name}-db-1"

    dep.write(TWO.replace("GREETING: hello", "GREETING: bonjour"))
    wait_until(lambda: env_of(web).get("GREETING") == "bonjour", 20, watcher.text)
    assert ids(dep)[db] == first[db]
    assert ids(dep)[web] != first[web]

    second = ids(dep)
    dep.write("TAG=two\n", ".env")
    wait_until(lambda: env_of(web).get("FROM_DOTENV") == "two", 20, watcher.text)
    assert ids(dep)[db] == second[db]

    third = ids(dep)
    dep.write("FROM_FILE=b\n", "web.env")
    wait_until(lambda: env_of(web).get("FROM_FILE") == "b", 20, watcher.text)
    assert ids(dep)[db] == third[db]
    assert "web.env changed" in watcher.text()
    finish(dep, watcher)


def test_env_file_created_later_is_watched(
    dep: Deployment, start: Callable[..., Watcher]
) -> None:
    """An optional env_file that does not exist at start is picked up once written."""
    dep.write(
        TWO.replace(
            "env_file: [web.env]", "env_file: [{path: late.env, required: false}]"
        )
    )
    dep.write("TAG=one\n", ".env")
    watcher = start(dep, "watch", "--debounce", "100")
    watcher.wait_for("applied", 60)
    web = f"{dep.name}-web-1"
    assert "LATE" not in env_of(web)
    dep.write("LATE=yes\n", "late.env")
    wait_until(lambda: env_of(web).get("LATE") == "yes", 20, watcher.text)
    finish(dep, watcher)


def test_invalid_save_changes_nothing_then_next_converges(
    dep: Deployment, start: Callable[..., Watcher]
) -> None:
    """Half-written YAML is reported with its line; the next valid save applies."""
    dep.write(TWO)
    dep.write("TAG=one\n", ".env")
    dep.write("FROM_FILE=a\n", "web.env")
    dep.up()
    before = ids(dep)
    watcher = start(dep, "up", "--watch", "-t", "0")
    watcher.wait_for("pass 1", 30)

    dep.write(TWO + "  broken: [unclosed\n")
    watcher.wait_for("nothing changed", 20)
    text = watcher.text()
    assert "compose.yaml:15:11" in text, text  # where the [ was opened
    time.sleep(1)
    assert ids(dep) == before

    dep.write(TWO.replace("ROLE: db", "ROLE: primary"))
    wait_until(
        lambda: env_of(f"{dep.name}-db-1").get("ROLE") == "primary", 20, watcher.text
    )
    assert ids(dep)[f"{dep.name}-web-1"] == before[f"{dep.name}-web-1"]
    finish(dep, watcher)


SYNC = """
name: @P@
services:
  app:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
    develop:
      watch:
        - action: sync
          path: ./src
          target: /app
          ignore: ["*.log"]
          initial_sync: true
"""


def test_sync_rule_copies_edited_files(
    dep: Deployment, start: Callable[..., Watcher]
) -> None:
    """A sync rule copies edits (not ignored files) into the running container."""
    dep.write(SYNC)
    (dep.path / "src").mkdir()
    dep.write("v1\n", "src/page.txt")
    watcher = start(dep, "watch", "--debounce", "100")
    watcher.wait_for("applied", 60)
    app = docker.from_env().containers.get(f"{dep.name}-app-1")

    def content(path: str) -> str:
        result = app.exec_run(["cat", path])
        return str(result.output.decode()) if result.exit_code == 0 else ""

    wait_until(lambda: content("/app/page.txt") == "v1\n", 20, watcher.text)
    before = ids(dep)
    dep.write("v2\n", "src/page.txt")
    dep.write("scratch\n", "src/notes.log")
    (dep.path / "src" / "sub").mkdir()
    dep.write("deep\n", "src/sub/inner.txt")
    wait_until(lambda: content("/app/page.txt") == "v2\n", 20, watcher.text)
    wait_until(lambda: content("/app/sub/inner.txt") == "deep\n", 20, watcher.text)
    assert content("/app/notes.log") == ""
    assert ids(dep) == before
    finish(dep, watcher)


CASE37 = """
name: @P@
services:
  api:
    build: ./api
    image: @P@-api:dev
    command: sleep 3600
    stop_signal: SIGKILL
  ui:
    build: ./ui
    image: @P@-ui:dev
    command: sleep 3600
    stop_signal: SIGKILL
    depends_on: [api]
    develop:
      watch:
        - action: rebuild
          path: ./ui
"""


def test_rebuild_rule_rebuilds_only_its_service(
    dep: Deployment, start: Callable[..., Watcher]
) -> None:
    """Case 37: a rebuild rule rebuilds and recreates only the rule's service."""
    dep.write(CASE37)
    for svc in ("api", "ui"):
        (dep.path / svc).mkdir()
        dep.write("FROM busybox:local\nCOPY u.txt /srv/u.txt\n", f"{svc}/Dockerfile")
        dep.write(f"{svc} 1\n", f"{svc}/u.txt")
    client = docker.from_env()
    try:
        watcher = start(dep, "up", "--build", "--watch", "-t", "0")
        watcher.wait_for("pass 1", 120)
        api, ui = f"{dep.name}-api-1", f"{dep.name}-ui-1"
        before = ids(dep)
        api_image = client.images.get(f"{dep.name}-api:dev").id

        def served() -> str:
            try:
                found = client.containers.get(ui).exec_run(["cat", "/srv/u.txt"])
            except docker.errors.APIError:
                return ""
            return str(found.output.decode())

        assert served() == "ui 1\n"
        dep.write("ui 2\n", "ui/u.txt")
        wait_until(lambda: served() == "ui 2\n", 60, watcher.text)
        after = ids(dep)
        assert after[api] == before[api]
        assert after[ui] != before[ui]
        assert client.images.get(f"{dep.name}-api:dev").id == api_image
        finish(dep, watcher)
    finally:
        for svc in ("api", "ui"):
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(f"{dep.name}-{svc}:dev", force=True)


RULES = """
name: @P@
services:
  app:
    image: busybox:local
    command: sleep 3600
    stop_signal: SIGKILL
    develop:
      watch:
        - action: sync+exec
          path: ./src
          target: /app
          exec:
            command: cp /app/a.txt /app/copied.txt
        - action: restart
          path: ./conf
"""


def test_sync_exec_and_restart_rules(
    dep: Deployment, start: Callable[..., Watcher]
) -> None:
    """sync+exec runs its command after copying; restart keeps the container."""
    dep.write(RULES)
    for sub in ("src", "conf"):
        (dep.path / sub).mkdir()
    dep.write("one\n", "src/a.txt")
    dep.write("x=1\n", "conf/app.conf")
    watcher = start(dep, "watch", "--debounce", "100")
    watcher.wait_for("applied", 60)
    name = f"{dep.name}-app-1"
    client = docker.from_env()

    def read(path: str) -> str:
        found = client.containers.get(name).exec_run(["cat", path])
        return str(found.output.decode()) if found.exit_code == 0 else ""

    dep.write("two\n", "src/a.txt")
    wait_until(lambda: read("/app/copied.txt") == "two\n", 20, watcher.text)

    ident = ids(dep)[name]
    started = client.api.inspect_container(name)["State"]["StartedAt"]
    dep.write("x=2\n", "conf/app.conf")
    wait_until(
        lambda: client.api.inspect_container(name)["State"]["StartedAt"] != started,
        20,
        watcher.text,
    )
    assert ids(dep)[name] == ident
    watcher.wait_for("restarted", 10)
    finish(dep, watcher)


def test_unreachable_engine_at_start_fails_at_once(dep: Deployment) -> None:
    """watch and reconcile with no engine: one clear line, exit 1."""
    dep.write(TWO.replace("    env_file: [web.env]\n", ""))
    missing = f"unix://{dep.path / 'missing.sock'}"
    for command in ("watch", "reconcile"):
        proc = subprocess.run(
            [COMPOSER, command],
            cwd=dep.path,
            env={**os.environ, "DOCKER_HOST": missing, "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        text = proc.stdout + proc.stderr
        assert proc.returncode == 1, text
        assert text.strip() == (
            f"error: cannot reach the Docker engine at {missing}; is it running?"
        ), text
    dep.up()
    dep.assert_converged()


def test_engine_gone_mid_watch_is_one_line_then_back(
    dep: Deployment, start: Callable[..., Watcher], tmp_path: Path
) -> None:
    """The engine going away is said once, in words; its return is said too."""
    from reliability.proxy import EngineProxy

    dep.write(TWO.replace("    env_file: [web.env]\n", ""))
    dep.write("TAG=one\n", ".env")
    sock = tmp_path / "engine.sock"
    proxy = EngineProxy(sock)
    watcher = start(dep, "watch", env={"DOCKER_HOST": proxy.docker_host})
    try:
        watcher.wait_for("applied", 60)
        proxy.close()  # every connection cut; the socket now refuses
        watcher.wait_for("lost the engine's event stream", 30)
        # Several retries with back-off (0.5 s, 1 s, 2 s...) say nothing more.
        time.sleep(4)
        text = watcher.text()
        assert text.count("lost the engine's event stream") == 1, text
        assert "Connection aborted" not in text and "Error(" not in text, text
        sock.unlink()
        proxy = EngineProxy(sock)
        watcher.wait_for("answers again", 30)
        assert watcher.text().count("lost the engine's event stream") == 1
        finish(dep, watcher)
    finally:
        proxy.close()
