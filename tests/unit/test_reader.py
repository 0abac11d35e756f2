"""The light read-only engine client, against a small HTTP server on a socket."""

from __future__ import annotations

import http.server
import json
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from composer.engine.client import Engine
from composer.engine.reader import reader_for
from composer.errors import EngineError

CONTAINERS = [{"Id": "abc", "Labels": {"com.docker.compose.project": "p"}}]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the engine does

    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/v1.41/containers/json"):
            self._answer(200, json.dumps(CONTAINERS).encode())
        elif self.path == "/v1.41/_ping":
            self._answer(200, b"OK")
        elif self.path == "/v1.41/networks":
            self._chunked([b'[{"Name": "br', b'idge"}, ', b'{"Name": "host"}]'])
        elif self.path == "/v1.41/volumes":
            self._answer(200, b'{"Volumes": [{"Name": "v"}]}', close=True)
        else:
            self._answer(404, b'{"message": "page not found"}')

    def _answer(self, status: int, body: bytes, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _chunked(self, parts: list[bytes]) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in parts:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def engine_socket(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    path = str(tmp_path / "engine.sock")
    server = _Server(path, _Handler)
    server.paths = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"unix://{path}", server.paths  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def test_list_calls_go_through_the_reader_and_are_counted(
    engine_socket: tuple[str, list[str]],
) -> None:
    host, paths = engine_socket
    engine = Engine(host=host)
    assert engine.list_containers("p") == CONTAINERS
    engine.ping()
    assert [url.split("?")[0] for _, url in engine.log.requests] == [
        "/v1.41/containers/json",
        "/v1.41/_ping",
    ]
    assert "filters=" in paths[0] and "all=1" in paths[0]
    assert engine._api is None  # the Docker SDK client was never made
    engine.close()


def test_chunked_and_closing_answers_are_read_whole(
    engine_socket: tuple[str, list[str]],
) -> None:
    engine = Engine(host=engine_socket[0])
    for _ in range(2):  # the second round reuses or replaces the connections
        assert [n["Name"] for n in engine.list_networks()] == ["bridge", "host"]
        assert engine.list_volumes() == [{"Name": "v"}]
    assert len(engine.log.requests) == 4
    engine.close()


def test_an_engine_error_keeps_the_engines_message(
    engine_socket: tuple[str, list[str]],
) -> None:
    engine = Engine(host=engine_socket[0])
    with pytest.raises(EngineError, match="list images: page not found"):
        engine.list_images()


def test_an_absent_socket_is_a_clear_error(tmp_path: Path) -> None:
    engine = Engine(host=f"unix://{tmp_path}/missing.sock")
    with pytest.raises(EngineError, match="cannot reach the Docker engine"):
        engine.list_volumes()


def test_schemes_the_reader_does_not_speak_use_the_sdk() -> None:
    def record(method: str, url: str) -> None:
        pass

    assert reader_for("ssh://user@host", "1.41", 5, record) is None
    assert reader_for("npipe:////./pipe/docker_engine", "1.41", 5, record) is None
    assert reader_for("tcp://127.0.0.1:2375", "1.41", 5, record) is not None
