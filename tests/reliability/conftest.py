"""Fixtures of the reliability suites: a socket that records every connection."""

from __future__ import annotations

import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reliability.engine_support import proj_fixture

__all__ = ["proj_fixture"]


@dataclass
class RecordingSocket:
    """A unix socket standing in for an engine; counts connections, answers none."""

    path: Path
    connections: list[bytes] = field(default_factory=list)

    @property
    def docker_host(self) -> str:
        """The DOCKER_HOST value that points at this socket."""
        return f"unix://{self.path}"


def _serve(server: socket.socket, rec: RecordingSocket, stop: threading.Event) -> None:
    """Accept connections until stopped; keep the first bytes of each, then close."""
    server.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with conn:
            conn.settimeout(1)
            try:
                rec.connections.append(conn.recv(256))
            except OSError:
                rec.connections.append(b"")


@pytest.fixture
def recording_socket() -> Iterator[RecordingSocket]:
    """A private socket; DOCKER_HOST pointed at it reveals any engine call."""
    with tempfile.TemporaryDirectory(prefix="rel-") as tmp:
        rec = RecordingSocket(Path(tmp) / "engine.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(rec.path))
        server.listen(16)
        stop = threading.Event()
        thread = threading.Thread(target=_serve, args=(server, rec, stop), daemon=True)
        thread.start()
        yield rec
        stop.set()
        thread.join(timeout=2)
        server.close()
