"""Shared helpers of the reconciler's real-engine tests.

Each test gets a project directory with a unique project name; everything
carrying that project's label is removed when the test ends, pass or fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from composer.cli.app import GlobalOptions
from composer.cli.pipeline import hasher, prepare
from composer.plan import Plan, PlanOptions, plan

ROOT = Path(__file__).resolve().parents[2]
COMPOSER = str(ROOT / ".venv" / "bin" / "composer")
COMPOSE_V2 = str(ROOT / ".venv" / "bin" / "docker-compose")
LABEL = "com.docker.compose.project"


def sleepers(
    *services: str, extra: Mapping[str, str] | None = None, tail: str = ""
) -> str:
    """A Compose file whose services sleep in busybox and stop at once.

    ``extra`` gives more keys of a service, one a line as they would be
    written under it; ``tail`` follows the services (networks, volumes...).
    The project is named ``@P@`` (see :meth:`Deployment.write`).
    """
    lines = ["name: @P@", "services:"]
    for name in services:
        lines += [
            f"  {name}:",
            "    image: busybox:local",
            "    command: sleep 3600",
            "    stop_signal: SIGKILL",
        ]
        lines += [f"    {line}" for line in (extra or {}).get(name, "").splitlines()]
    return "\n".join(lines) + "\n" + tail


@dataclass
class Deployment:
    """A project directory and the commands run in it."""

    path: Path
    name: str

    def write(self, text: str, filename: str = "compose.yaml") -> None:
        """Write a file of the project (the compose file by default)."""
        (self.path / filename).write_text(text.replace("@P@", self.name))

    def run(
        self, *args: str, ok: bool = True, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``composer ARGS`` in the project directory."""
        env = {**os.environ, "NO_COLOR": "1"}
        proc = subprocess.run(
            [COMPOSER, "--progress", "plain", *args],
            cwd=cwd or self.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        if ok:
            assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    def up(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``composer up -d -t 0 ARGS``, which must succeed."""
        return self.run("up", "-d", "-t", "0", *args)

    def ids(self) -> dict[str, str]:
        """Container ID by container name, for the whole project."""
        client = docker.from_env()
        found = client.containers.list(
            all=True, filters={"label": f"{LABEL}={self.name}"}
        )
        return {c.name: c.id for c in found}

    def plan(self, *services: str, files: Sequence[str] = ()) -> Plan:
        """Plan in-process against the live engine."""
        cwd = os.getcwd()
        os.chdir(self.path)
        try:
            state = prepare(GlobalOptions(files=tuple(files)), tuple(services))
        finally:
            os.chdir(cwd)
        return plan(state.desired, state.actual, PlanOptions(hasher=hasher()))

    def assert_converged(self, *files: str, completed: Sequence[str] = ()) -> None:
        """The plan is empty and ``diff --exit-code`` says so too.

        ``completed`` names one-shot services whose containers exited with
        code 0: ``up`` starts them again, as Compose's does, so their starts
        are the only steps allowed, and the plan of a loop leaves them alone.
        """
        result = self.plan(files=files)
        others = [
            s.to_json()
            for s in result.steps
            if not (
                s.service in completed
                and s.action.value == "start"
                and s.reason == "container is exited with code 0"
            )
        ]
        assert not others, others
        assert {s.service for s in result.steps} == set(completed)
        cwd = os.getcwd()
        os.chdir(self.path)
        try:
            state = prepare(GlobalOptions(files=tuple(files)), ())
        finally:
            os.chdir(cwd)
        options = PlanOptions(hasher=hasher(), start_completed=False)
        looped = plan(state.desired, state.actual, options)
        assert looped.empty, [s.to_json() for s in looped.steps]
        args = [a for f in files for a in ("-f", f)]
        code = self.run(*args, "diff", "--exit-code", ok=False).returncode
        assert code == (2 if completed else 0)  # 2: there are changes

    def diff_json(self, *args: str) -> dict[str, Any]:
        """``composer diff --format json``, parsed."""
        proc = self.run(*args, "diff", "--format", "json", ok=False)
        parsed: dict[str, Any] = json.loads(proc.stdout)
        return parsed


def cleanup(name: str) -> None:
    """Remove every container, network and volume labelled with ``name``."""
    client = docker.from_env()
    flt = {"label": f"{LABEL}={name}"}
    for c in client.containers.list(all=True, filters=flt):
        c.remove(force=True, v=True)
    for n in client.networks.list(filters=flt):
        n.remove()
    for v in client.volumes.list(filters=flt):
        v.remove(force=True)
    # A writer killed mid-apply leaves its lease until the TTL; not for tests.
    for lease in client.containers.list(
        all=True, filters={"label": f"composer.lock={name}"}
    ):
        lease.remove(force=True)


@pytest.fixture(name="deployment")
def deployment_fixture(tmp_path: Path) -> Iterator[Deployment]:
    """A project directory with a unique name, cleaned up by label afterwards."""
    name = f"ct{uuid.uuid4().hex[:10]}"
    path = tmp_path / name
    path.mkdir()
    yield Deployment(path, name)
    cleanup(name)
