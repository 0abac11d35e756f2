"""A private container registry for tests: Debian's ``docker-registry`` on loopback.

One registry serves a whole test session. It listens on a free port of
127.0.0.1 (the engine pushes and pulls there over plain HTTP: Docker treats
127.0.0.0/8 as an insecure registry by default), keeps its blobs in a
temporary directory and is stopped when the session ends. Nothing of the
machine's own registry set-up is used: not ``/etc/docker/registry``, not port
5000, not ``REGISTRY_*`` variables of the environment.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

BINARY = "docker-registry"
_CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  secret: composer-tests-only
"""
_START_TIMEOUT = 30.0
_MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


class RegistryUnavailable(Exception):
    """The registry binary is missing or the registry would not start."""


@dataclass
class LocalRegistry:
    """A running registry: its ``host:port``, its process and its files."""

    host: str
    process: subprocess.Popen[bytes]
    directory: Path

    @property
    def log_path(self) -> Path:
        """The registry's own log (its stdout and stderr)."""
        return self.directory / "registry.log"

    def url(self, path: str) -> str:
        """The HTTP URL of a registry API path such as ``/v2/``."""
        return f"http://{self.host}{path}"

    def tags(self, repository: str) -> list[str]:
        """The tags of a repository, empty when it has none."""
        try:
            with urllib.request.urlopen(
                self.url(f"/v2/{repository}/tags/list"), timeout=10
            ) as answer:
                listed = json.load(answer).get("tags")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return []
            raise
        return sorted(listed or [])

    def delete_tag(self, repository: str, tag: str) -> None:
        """Delete the manifest a tag names, so pulling that tag fails."""
        accept = ", ".join(_MANIFEST_TYPES)
        head = urllib.request.Request(
            self.url(f"/v2/{repository}/manifests/{tag}"),
            method="HEAD",
            headers={"Accept": accept},
        )
        with urllib.request.urlopen(head, timeout=10) as answer:
            digest = answer.headers["Docker-Content-Digest"]
        delete = urllib.request.Request(
            self.url(f"/v2/{repository}/manifests/{digest}"), method="DELETE"
        )
        with urllib.request.urlopen(delete, timeout=10) as answer:
            assert answer.status == 202, answer.status

    def push_blob(self, repository: str, content: bytes) -> str:
        """Upload a blob in one request; its digest."""
        digest = "sha256:" + hashlib.sha256(content).hexdigest()
        start = urllib.request.Request(
            self.url(f"/v2/{repository}/blobs/uploads/"), data=b"", method="POST"
        )
        with urllib.request.urlopen(start, timeout=10) as answer:
            location = urllib.parse.urljoin(self.url("/"), answer.headers["Location"])
        joiner = "&" if "?" in location else "?"
        finish = urllib.request.Request(
            f"{location}{joiner}digest={digest}",
            data=content,
            method="PUT",
            headers={"Content-Type": "application/octet-stream"},
        )
        with urllib.request.urlopen(finish, timeout=10) as answer:
            assert answer.status == 201, answer.status
        return digest

    def push_manifest(
        self, repository: str, tag: str, manifest: dict[str, object]
    ) -> str:
        """Store a manifest (of the media type it names) under a tag; its digest."""
        content = json.dumps(manifest).encode()
        request = urllib.request.Request(
            self.url(f"/v2/{repository}/manifests/{tag}"),
            data=content,
            method="PUT",
            headers={"Content-Type": str(manifest["mediaType"])},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201, answer.status
        return "sha256:" + hashlib.sha256(content).hexdigest()

    def stop(self) -> None:
        """Stop the registry process (only ours, by its pid) and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(host: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}/v2/", timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_registry(directory: Path, attempts: int = 3) -> LocalRegistry:
    """Start a registry with its config and storage under ``directory``.

    A port taken between choosing and binding it makes the registry exit; it
    is then started again on another port, ``attempts`` times at most.
    """
    binary = shutil.which(BINARY)
    if binary is None:
        raise RegistryUnavailable(
            f"{BINARY} is not installed; scripts/test installs it "
            f"(or: apt-get install {BINARY})"
        )
    directory.mkdir(parents=True, exist_ok=True)
    # The registry reads REGISTRY_* variables as overrides of its config file.
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    failures: list[str] = []
    for _ in range(attempts):
        port = _free_port()
        config = directory / "config.yml"
        storage = directory / "storage"
        config.write_text(_CONFIG.format(storage=storage, port=port))
        with (directory / "registry.log").open("ab") as out:
            process = subprocess.Popen(
                [binary, "serve", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        registry = LocalRegistry(f"127.0.0.1:{port}", process, directory)
        deadline = time.monotonic() + _START_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            if _answers(registry.host):
                log.debug("registry %s runs (pid %s)", registry.host, process.pid)
                return registry
            time.sleep(0.1)
        registry.stop()
        failures.append(f"port {port}: exit status {process.returncode}")
    tail = registry.log_path.read_text(errors="replace").splitlines()[-10:]
    raise RegistryUnavailable(
        f"{BINARY} did not answer ({'; '.join(failures)}); its log ends:\n"
        + "\n".join(tail)
    )
