"""A unix-socket proxy in front of the engine: forward, stall, count, cut.

It counts mutating requests (POST, PUT, DELETE) by their request lines and can
cut every connection when the (k+1)-th one arrives, which to composer looks
like an engine that vanished after k changes.
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import threading
from collections.abc import Callable
from pathlib import Path

ENGINE_SOCKET = "/var/run/docker.sock"
_MUTATING = re.compile(rb"(?:^|\r\n)(POST|PUT|DELETE) /")


class EngineProxy:
    """Listens on ``path``; stalls or forwards to the engine, counting changes."""

    def __init__(
        self,
        path: Path,
        stall: bool = False,
        cut_after: int | None = None,
        on_cut: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        self.stall = stall
        self.cut_after = cut_after
        self.on_cut = on_cut
        self.mutating = 0
        self.accepted = 0
        self.cut = threading.Event()
        #: The request line that reached ``cut_after`` (None: closed, not cut).
        self.tripped: bytes | None = None
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(64)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def docker_host(self) -> str:
        """The DOCKER_HOST value that points at the proxy."""
        return f"unix://{self.path}"

    def _accept(self) -> None:
        """Accept clients until closed; each gets a thread."""
        while not self.cut.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self._open.append(client)
            if self.stall:
                continue
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        """Copy bytes both ways, counting mutating requests on the way in."""
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(ENGINE_SOCKET)
        with self._lock:
            self._open.append(upstream)
        pair = {client: upstream, upstream: client}
        try:
            while not self.cut.is_set():
                ready, _, _ = select.select(list(pair), [], [], 0.2)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client and not self._admit(data):
                        return
                    pair[sock].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()

    def _admit(self, data: bytes) -> bool:
        """Count the request lines in ``data``; False once the cut is reached."""
        with self._lock:
            for match in _MUTATING.finditer(data):
                if self.cut_after is not None and self.mutating >= self.cut_after:
                    line = data[match.start() :].lstrip(b"\r\n")
                    self.tripped = line.split(b"\r\n", 1)[0]
                    self._cut_locked()
                    return False
                self.mutating += 1
        return True

    def _cut_locked(self) -> None:
        """Close the listener and every connection; run the cut callback."""
        if self.cut.is_set():
            return
        self.cut.set()
        if self.on_cut is not None:
            self.on_cut()
        self._server.close()
        for sock in self._open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        """Stop the proxy."""
        with self._lock:
            self._cut_locked()
        self._thread.join(timeout=2)
