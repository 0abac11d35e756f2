"""A light, read-only client for the engine's list endpoints.

Observing a project takes four GET requests.  Importing the Docker SDK (and
``requests`` and ``urllib3`` beneath it) costs more than those requests, so
the read path speaks HTTP/1.1 itself over one kept-alive connection, with the
standard library only.  The SDK is loaded later, and only when a command
really changes something.

Only plain ``unix://`` and ``tcp://`` hosts are spoken to this way;
``reader_for`` returns ``None`` for any other scheme, and the caller uses the
SDK instead.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from composer.errors import EngineError

log = logging.getLogger(__name__)

Recorder = Callable[[str, str], None]


class _UnixConnection(http.client.HTTPConnection):
    """An HTTP connection over a unix socket."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        """Open the unix socket instead of a TCP connection."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class Reader:
    """GET requests to one engine at a fixed API version, JSON answers."""

    def __init__(
        self,
        connect: Callable[[], http.client.HTTPConnection],
        host: str,
        version: str,
        record: Recorder,
    ) -> None:
        self._connect = connect
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self.host = host
        self.version = version
        self.record = record

    def get(self, what: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        """The decoded JSON answer to ``GET /v<version><path>``."""
        url = f"/v{self.version}{quote(path)}"
        if params:
            url += "?" + urlencode(params)
        status, body = self._send(url)
        self.record("GET", url)
        if status >= 400:
            raise EngineError(f"{what}: {_message(body) or f'HTTP {status}'}")
        try:
            return json.loads(body) if body else None
        except ValueError as exc:
            raise EngineError(f"{what}: the engine's answer is not JSON") from exc

    def ping(self) -> None:
        """Check that the engine answers (``/_ping`` answers plain text)."""
        url = f"/v{self.version}/_ping"
        status, body = self._send(url)
        self.record("GET", url)
        if status >= 400:
            raise EngineError(f"ping: {_message(body) or f'HTTP {status}'}")

    def _send(self, url: str) -> tuple[int, bytes]:
        """Status and body of one GET, on an idle connection or a new one."""
        # Requests from several threads each take their own connection.  A
        # kept-alive one the engine closed meanwhile fails on first use; then
        # one fresh connection is tried before giving up.
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        for _ in range(2):
            fresh = conn is None
            if conn is None:
                conn = self._connect()
            try:
                conn.request("GET", url, headers={"Host": "docker"})
                response = conn.getresponse()
                answer = response.status, response.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = None
                if fresh:
                    raise EngineError(
                        f"cannot reach the Docker engine at {self.host}; is it running?"
                    ) from exc
                continue
            with self._lock:
                self._idle.append(conn)
            return answer
        raise AssertionError("a fresh connection either answers or raises")

    def close(self) -> None:
        """Close the idle connections."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def reader_for(
    host: str, version: str, timeout: float, record: Recorder
) -> Reader | None:
    """A reader for ``unix://`` and ``tcp://`` hosts, else ``None``."""
    parts = urlsplit(host)
    if parts.scheme == "unix":
        path = parts.path or "/var/run/docker.sock"
        return Reader(lambda: _UnixConnection(path, timeout), host, version, record)
    if parts.scheme in ("tcp", "http") and parts.hostname:
        name, port = parts.hostname, parts.port or 2375
        return Reader(
            lambda: http.client.HTTPConnection(name, port, timeout=timeout),
            host,
            version,
            record,
        )
    return None


def _message(body: bytes) -> str:
    """The engine's error message from a JSON error body."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()
    if isinstance(data, dict):
        return str(data.get("message") or "")
    return ""
