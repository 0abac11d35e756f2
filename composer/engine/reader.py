"""A light, read-only client for the engine's list endpoints.

Observing a project takes four GET requests.  Importing the Docker SDK (and
``requests`` and ``urllib3`` beneath it, or even ``http.client``) costs more
than those requests, so the read path speaks the little HTTP/1.1 it needs
itself, over kept-alive sockets: a GET, a status line, headers, and a body
sized by ``Content-Length`` or sent in chunks.  The SDK is loaded later, and
only when a command really changes something.

Only plain ``unix://`` and ``tcp://`` hosts are spoken to this way;
``reader_for`` returns ``None`` for any other scheme, and the caller uses the
SDK instead.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any
from urllib.parse import quote, urlencode, urlsplit

from composer.errors import EngineError

log = logging.getLogger(__name__)

Recorder = Callable[[str, str], None]
Opener = Callable[[], socket.socket]

#: Longest status or header line accepted, in bytes.
_MAX_LINE = 65536


class _Broken(Exception):
    """The connection failed or the answer was not HTTP as expected."""


class _Connection:
    """One socket to the engine, kept open between requests."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.file: IO[bytes] = sock.makefile("rb")
        self.reusable = True

    def get(self, url: str) -> tuple[int, bytes]:
        """Send ``GET url``; the status and the whole body."""
        request = f"GET {url} HTTP/1.1\r\nHost: docker\r\nUser-Agent: composer\r\n\r\n"
        try:
            self.sock.sendall(request.encode("ascii"))
            status = self._status()
            headers = self._headers()
            body = self._body(headers)
        except (OSError, ValueError) as exc:
            raise _Broken(str(exc)) from exc
        if headers.get("connection", "").lower() == "close":
            self.reusable = False
        return status, body

    def _line(self) -> bytes:
        line = self.file.readline(_MAX_LINE + 1)
        if not line or len(line) > _MAX_LINE:
            raise _Broken("the engine closed the connection or sent a bad line")
        return line

    def _status(self) -> int:
        parts = self._line().split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise _Broken("not an HTTP answer")
        return int(parts[1])

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        while True:
            line = self._line()
            if line in (b"\r\n", b"\n"):
                return headers
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()

    def _body(self, headers: Mapping[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._chunks()
        if "content-length" in headers:
            return self._exactly(int(headers["content-length"]))
        self.reusable = False  # the body ends when the engine closes
        return self.file.read()

    def _chunks(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self._line().split(b";", 1)[0].strip(), 16)
            if size == 0:
                while self._line() not in (b"\r\n", b"\n"):
                    pass  # trailers
                return b"".join(parts)
            parts.append(self._exactly(size))
            self._line()  # the CRLF after each chunk

    def _exactly(self, size: int) -> bytes:
        data = self.file.read(size)
        if len(data) != size:
            raise _Broken("the engine's answer ended early")
        return data

    def close(self) -> None:
        """Close the socket."""
        self.file.close()
        self.sock.close()


class Reader:
    """GET requests to one engine at a fixed API version, JSON answers."""

    def __init__(self, opener: Opener, host: str, version: str, record: Recorder):
        self._open = opener
        self._idle: list[_Connection] = []
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
            try:
                if conn is None:
                    conn = _Connection(self._open())
                answer = conn.get(url)
            except (OSError, _Broken) as exc:
                if conn is not None:
                    conn.close()
                    conn = None
                if fresh:
                    raise EngineError(
                        f"cannot reach the Docker engine at {self.host}; is it running?"
                    ) from exc
                continue
            if conn.reusable:
                with self._lock:
                    self._idle.append(conn)
            else:
                conn.close()
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

        def unix() -> socket.socket:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(path)
            except OSError:
                sock.close()
                raise
            return sock

        return Reader(unix, host, version, record)
    if parts.scheme in ("tcp", "http") and parts.hostname:
        address = (parts.hostname, parts.port or 2375)
        return Reader(
            lambda: socket.create_connection(address, timeout), host, version, record
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
