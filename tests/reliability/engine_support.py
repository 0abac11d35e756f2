"""Real-engine helpers of the reliability suites: a project directory and its CLI."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from reliability.figures import ROOT

COMPOSER = str(ROOT / ".venv" / "bin" / "composer")
LABEL = "com.docker.compose.project"
IMAGE = "busybox:local"


@dataclass
class Proj:
    """A project directory with a unique name, run through the composer CLI."""

    path: Path
    name: str

    def write(self, text: str) -> None:
        """Write compose.yaml; @P@ stands for the project's name."""
        (self.path / "compose.yaml").write_text(text.replace("@P@", self.name))

    def run(
        self, *args: str, host: str | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        """Run ``composer ARGS`` here; never a traceback."""
        env = {**os.environ, "NO_COLOR": "1"}
        if host is not None:
            env["DOCKER_HOST"] = host
        proc = subprocess.run(
            [COMPOSER, "--progress", "plain", *args],
            cwd=self.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
        return proc

    def up(self, *args: str) -> None:
        """``composer up -d -t 0 ARGS``, which must succeed."""
        proc = self.run("up", "-d", "-t", "0", *args)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def converged(self) -> bool:
        """True when ``composer diff --exit-code`` finds nothing to do."""
        return self.run("diff", "--exit-code").returncode == 0

    def diff_text(self) -> str:
        """What ``composer diff`` prints."""
        proc = self.run("diff")
        return proc.stdout + proc.stderr


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
    # The lease carries no project label; a killed run leaves it behind.
    for c in client.containers.list(
        all=True, filters={"name": f"composer-lock-{name}"}
    ):
        c.remove(force=True)


def project_dir(tmp_path: Path, prefix: str = "rel") -> Iterator[Proj]:
    """A fresh project; everything labelled with its name is removed afterwards."""
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    path = tmp_path / name
    path.mkdir()
    try:
        yield Proj(path, name)
    finally:
        cleanup(name)


@pytest.fixture(name="proj")
def proj_fixture(tmp_path: Path) -> Iterator[Proj]:
    """A project directory with a unique name, cleaned up by label afterwards."""
    yield from project_dir(tmp_path)
