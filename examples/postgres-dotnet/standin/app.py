"""Stand-in for the .NET application of examples/postgres-dotnet.

On machines that reach no container registry the ASP.NET Core image cannot be
built, so compose.local.yaml runs this instead. It honours the same contract as
../app/Program.cs:

- ``Pgsql``: environment variable holding an Npgsql connection string
  (``Host=...;Port=...;Database=...;User Id=...;Password=...;``);
- the table ``visits``, created at start-up when missing;
- ``GET /``: records a visit, answers ``{"visits": N, "server_version": "..."}``;
- ``GET /health``: ``{"status":"ok"}`` when the database answers, 503 otherwise;
- port 8080 (the ASP.NET runtime image's default, ``ASPNETCORE_HTTP_PORTS``).

Python standard library plus psycopg2 only; one log line per request on stdout.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import psycopg2

SCHEMA = """
CREATE TABLE IF NOT EXISTS visits (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    visited_at timestamptz NOT NULL DEFAULT now()
)
"""
SCHEMA_ATTEMPTS = 30
CONNECTION_VARIABLE = "Pgsql"

# Npgsql's keywords (compared without case and spaces) -> libpq's parameters.
KEYWORDS = {
    "host": "host",
    "server": "host",
    "port": "port",
    "database": "dbname",
    "db": "dbname",
    "username": "user",
    "userid": "user",
    "user": "user",
    "uid": "user",
    "password": "password",
    "psw": "password",
    "pwd": "password",
    "timeout": "connect_timeout",
}


def log(message: str) -> None:
    """Write one line to stdout, where the container's log collects it."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def first_line(exc: Exception) -> str:
    """The first line of an error's message (psycopg2's run over several)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _pairs(text: str) -> Iterator[tuple[str, str]]:
    """Split ``key=value;`` pairs; a value may be quoted with ' or " (doubled
    inside to stand for itself), as in ADO.NET connection strings."""
    i, n = 0, len(text)
    while i < n:
        if text[i] in "; \t\r\n":
            i += 1
            continue
        eq = text.find("=", i)
        if eq < 0:
            raise ValueError(f"no '=' after {text[i:].split(';')[0]!r}")
        key = text[i:eq].strip()
        if ";" in key:
            raise ValueError(f"no '=' after {key.split(';')[0]!r}")
        j = eq + 1
        while j < n and text[j] in " \t":
            j += 1
        if j < n and text[j] in "'\"":
            value, j = _quoted(text, j)
            end = text.find(";", j)
            end = n if end < 0 else end
            if text[j:end].strip():
                raise ValueError(f"text after the quoted value of {key!r}")
        else:
            end = text.find(";", j)
            end = n if end < 0 else end
            value = text[j:end].strip()
        yield key, value
        i = end + 1


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The quoted value starting at ``start`` and the index just after it."""
    quote, j, chars = text[start], start + 1, []
    while j < len(text):
        if text[j] == quote:
            if text[j + 1 : j + 2] == quote:
                chars.append(quote)
                j += 2
                continue
            return "".join(chars), j + 1
        chars.append(text[j])
        j += 1
    raise ValueError("a quoted value is not closed")


def parse_connection_string(text: str) -> dict[str, str]:
    """libpq connection parameters from an Npgsql connection string."""
    params: dict[str, str] = {}
    for key, value in _pairs(text):
        name = KEYWORDS.get(key.replace(" ", "").lower())
        if name is None:
            log(f"ignoring connection string keyword {key!r}")
        else:
            params[name] = value
    if "host" not in params:
        raise ValueError("the connection string has no Host")
    params.setdefault("port", "5432")
    params.setdefault("connect_timeout", "15")
    if "user" in params:
        # Npgsql's default database is the user's name; libpq's is the same.
        params.setdefault("dbname", params["user"])
    return params


def describe(params: dict[str, str]) -> str:
    """Where the app connects, without the password."""
    return (
        f"{params.get('user', '?')}@{params['host']}:{params['port']}"
        f"/{params.get('dbname', '?')}"
    )


def ensure_schema(params: dict[str, str], stopping: threading.Event) -> bool:
    """Create the table, retrying while the database starts; False if it never
    answered or a stop was asked for."""
    for attempt in range(1, SCHEMA_ATTEMPTS + 1):
        try:
            conn = psycopg2.connect(**params)
            try:
                with conn, conn.cursor() as cur:
                    cur.execute(SCHEMA)
            finally:
                conn.close()
            log("table visits is ready")
            return True
        except psycopg2.Error as exc:
            log(f"database not ready (attempt {attempt}): {first_line(exc)}")
        if stopping.wait(1.0):
            return False
    return False


def record_visit(params: dict[str, str]) -> dict[str, Any]:
    """Insert a visit; the count and the server's version, as ``GET /`` shows."""
    conn = psycopg2.connect(**params)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO visits DEFAULT VALUES")
            cur.execute(
                "SELECT count(*), current_setting('server_version') FROM visits"
            )
            count, version = cur.fetchone()
    finally:
        conn.close()
    return {"visits": count, "server_version": version}


def database_answers(params: dict[str, str]) -> bool:
    """True when ``SELECT 1`` succeeds."""
    try:
        conn = psycopg2.connect(**{**params, "connect_timeout": "3"})
    except psycopg2.Error as exc:
        log(f"health check: the database did not answer: {first_line(exc)}")
        return False
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
        return True
    except psycopg2.Error as exc:
        log(f"health check: the database did not answer: {first_line(exc)}")
        return False
    finally:
        conn.close()


class Server(ThreadingHTTPServer):
    """The HTTP server, holding the connection parameters for its handlers."""

    daemon_threads = True

    def __init__(self, port: int, params: dict[str, str]) -> None:
        super().__init__(("", port), Handler)
        self.params = params


class Handler(BaseHTTPRequestHandler):
    """The two routes of the contract."""

    server_version = "mi-aplicacion-standin"
    protocol_version = "HTTP/1.1"
    server: Server

    def do_GET(self) -> None:
        """Route GET requests."""
        path = urlsplit(self.path).path
        if path == "/":
            try:
                self._send_json(HTTPStatus.OK, record_visit(self.server.params))
            except psycopg2.Error as exc:
                log(f"GET / failed: {first_line(exc)}")
                self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "db"})
        elif path == "/health":
            if database_answers(self.server.params):
                self._send_json(HTTPStatus.OK, {"status": "ok"})
            else:
                status = HTTPStatus.SERVICE_UNAVAILABLE
                self._send_json(status, {"status": "unavailable"})
        else:
            self._send(HTTPStatus.NOT_FOUND, b"", "text/plain")

    def _send_json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self._send(status, data, "application/json; charset=utf-8")

    def _send(self, status: HTTPStatus, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """One line per request on stdout (the default writes to stderr)."""
        log(f"{self.address_string()} {format % args}")


def main() -> int:
    """Check the configuration, prepare the table, serve until SIGTERM."""
    stopping = threading.Event()
    server: Server | None = None

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        if server is not None:
            # shutdown() waits for serve_forever(), which runs in this thread.
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    try:
        params = parse_connection_string(os.environ[CONNECTION_VARIABLE])
    except KeyError:
        log("the Pgsql environment variable must hold the connection string")
        return 2
    except ValueError as exc:
        log(f"the Pgsql connection string is not valid: {exc}")
        return 2
    log(f"database: {describe(params)}")

    if not ensure_schema(params, stopping):
        return 0 if stopping.is_set() else 1

    port = int(os.environ.get("ASPNETCORE_HTTP_PORTS", "8080").split(";")[0])
    server = Server(port, params)
    log(f"listening on port {port}")
    if not stopping.is_set():
        server.serve_forever(poll_interval=0.5)
    server.server_close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
