"""A private ``dockerd`` that a test may stop and restart, beside the shared one.

It runs in a network namespace of its own (``unshare --net``): whatever it
does to network interfaces stays there.  On the host's, a second dockerd
deleted the shared engine's ``docker0`` (with ``--bridge=none``, and when
restarted with ``--bridge`` naming a bridge of its own).  It keeps its data,
state, socket and configuration in a directory of its own and writes no
iptables rules.  It needs root (or ``sudo -n``), as the shared engine does,
and ``unshare`` (util-linux).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import docker
import docker.errors
import requests

from reliability.engine_support import IMAGE


def _root_prefix() -> list[str]:
    """Nothing as root, ``sudo -n`` otherwise."""
    return [] if os.geteuid() == 0 else ["sudo", "-n"]


class PrivateEngine:
    """One ``dockerd`` under ``root``; started, stopped and restarted by the test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sock = root / "engine.sock"
        self.log = root / "dockerd.log"
        self.pid = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def docker_host(self) -> str:
        """The DOCKER_HOST value of this engine."""
        return f"unix://{self.sock}"

    def client(self) -> docker.DockerClient:
        """An SDK client of this engine."""
        return docker.DockerClient(base_url=self.docker_host, timeout=60)

    def start(self, timeout: float = 90) -> None:
        """Start dockerd and wait until it answers; AssertionError after timeout."""
        dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
        config = self.root / "daemon.json"
        config.write_text("{}\n")
        dockerd_args = [
            dockerd,
            f"--data-root={self.root / 'data'}",
            f"--exec-root={self.root / 'exec'}",
            f"--pidfile={self.root / 'dockerd.pid'}",
            f"--host={self.docker_host}",
            f"--config-file={config}",
            f"--group={os.getgid()}",
            "--iptables=false",
            "--ip6tables=false",
        ]
        args = [*_root_prefix(), "unshare", "--net", *dockerd_args]
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.proc = proc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            with contextlib.suppress(
                OSError, requests.RequestException, docker.errors.DockerException
            ):
                if self.client().ping():
                    self.pid = int((self.root / "dockerd.pid").read_text())
                    return
            time.sleep(0.5)
        tail = self.log.read_text(errors="replace")[-800:]
        raise AssertionError(f"the private dockerd did not answer: {tail}")

    def signal_stop(self) -> None:
        """Ask dockerd to stop (SIGTERM), as a service manager does; no wait."""
        if self.pid:
            subprocess.run(
                [*_root_prefix(), "kill", "-TERM", str(self.pid)], check=False
            )

    def wait_stopped(self, timeout: float = 90) -> None:
        """Wait until dockerd has exited; AssertionError after timeout."""
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(
                f"the private dockerd (pid {self.pid}) did not stop"
            ) from exc
        self.proc = None
        self.pid = 0

    def stop(self) -> None:
        """Stop dockerd and wait for it."""
        self.signal_stop()
        self.wait_stopped()

    def load(self, image: str = IMAGE) -> None:
        """Copy ``image`` from the shared engine into this one."""
        data = docker.from_env().images.get(image).save()
        for loaded in self.client().images.load(b"".join(data)):
            loaded.tag(image)

    def remove(self) -> None:
        """Stop dockerd if it runs and delete its directory."""
        with contextlib.suppress(AssertionError):
            self.stop()
        subprocess.run([*_root_prefix(), "rm", "-rf", str(self.root)], check=False)
