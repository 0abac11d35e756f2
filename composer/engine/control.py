"""Container controls for the everyday commands: pause, kill, exec, attach,
top, copy and events.

The reconciler's Engine covers what apply needs; these are the calls the
imperative commands add.  SDK errors become EngineError here, and streams are
written to the binary files the caller passes, so nothing here prints.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

import docker.errors
import docker.utils.socket as frames
import requests

from composer.engine.client import Engine
from composer.engine.spec import ContainerSpec
from composer.errors import EngineError

log = logging.getLogger(__name__)

#: The SDK's reader of the engine's multiplexed stdout/stderr frames.
_frames: Callable[..., Iterator[tuple[int, bytes]]] = frames.frames_iter


@contextmanager
def _guard(what: str) -> Iterator[None]:
    try:
        yield
    except docker.errors.NotFound as exc:
        detail = getattr(exc, "explanation", None) or str(exc)
        raise EngineError(f"{what}: not found ({detail})") from exc
    except docker.errors.APIError as exc:
        detail = getattr(exc, "explanation", None) or str(exc)
        raise EngineError(f"{what}: {detail}") from exc
    except (requests.ConnectionError, docker.errors.DockerException) as exc:
        raise EngineError(f"{what}: cannot reach the Docker engine") from exc
    except requests.RequestException as exc:
        raise EngineError(f"{what}: engine request failed: {exc}") from exc


@dataclass(frozen=True)
class Streams:
    """Where a process's output goes and where its input comes from."""

    stdout: BinaryIO
    stderr: BinaryIO
    stdin: BinaryIO | None = None
    tty: bool = False


def pause(engine: Engine, ident: str) -> None:
    """Pause a running container."""
    with _guard(f"pause container {ident[:12]}"):
        engine.api.pause(ident)


def unpause(engine: Engine, ident: str) -> None:
    """Unpause a paused container."""
    with _guard(f"unpause container {ident[:12]}"):
        engine.api.unpause(ident)


def kill(engine: Engine, ident: str, signal: str) -> None:
    """Send a signal to a container's main process."""
    with _guard(f"kill container {ident[:12]}"):
        engine.api.kill(ident, signal=signal)


def restart(engine: Engine, ident: str, timeout: int | None) -> None:
    """Restart a container in one call (stop, then start)."""
    with _guard(f"restart container {ident[:12]}"):
        engine.api.restart(ident, timeout=10 if timeout is None else timeout)


def top(engine: Engine, ident: str) -> tuple[list[str], list[list[str]]]:
    """The process table of a running container: titles and rows."""
    with _guard(f"top of container {ident[:12]}"):
        found: Mapping[str, Any] = engine.api.top(ident)
    titles = [str(t) for t in found.get("Titles") or ()]
    rows = [[str(c) for c in row] for row in found.get("Processes") or ()]
    return titles, rows


def exec_in(
    engine: Engine,
    ident: str,
    command: list[str],
    streams: Streams,
    environment: Mapping[str, str] | None = None,
    workdir: str | None = None,
    user: str | None = None,
    privileged: bool = False,
    detach: bool = False,
) -> int:
    """Run a command in a running container; return its exit code."""
    what = f"exec in container {ident[:12]}"
    with _guard(what):
        created = engine.api.exec_create(
            ident,
            command,
            stdin=streams.stdin is not None,
            tty=streams.tty,
            environment=dict(environment or {}) or None,
            workdir=workdir,
            user=user or "",
            privileged=privileged,
        )
        exec_id = str(created["Id"])
        if detach:
            engine.api.exec_start(exec_id, detach=True)
            return 0
        sock = engine.api.exec_start(exec_id, socket=True, tty=streams.tty)
        relay(sock, streams)
        result: Mapping[str, Any] = engine.api.exec_inspect(exec_id)
    code = result.get("ExitCode")
    return int(code) if code is not None else -1


def create_oneoff(engine: Engine, spec: ContainerSpec, name: str) -> str:
    """Create a one-off container (for `run`); return its ID."""
    return engine.create_container(spec, name)


def attach_and_start(engine: Engine, ident: str, streams: Streams) -> int:
    """Attach to a created container, start it, relay its I/O; return its exit."""
    what = f"run container {ident[:12]}"
    params = {"stdout": 1, "stderr": 1, "stream": 1, "stdin": int(bool(streams.stdin))}
    with _guard(what):
        sock = engine.api.attach_socket(ident, params=params)
        engine.api.start(ident)
        relay(sock, streams)
        result: Mapping[str, Any] = engine.api.wait(ident)
    return int(result.get("StatusCode", -1))


def relay(sock: Any, streams: Streams) -> None:
    """Copy stdin to the socket and the socket's frames to stdout and stderr."""
    raw: socket.socket = getattr(sock, "_sock", sock)
    if streams.stdin is not None:
        feeder = threading.Thread(
            target=_feed, args=(raw, streams.stdin, streams.tty), daemon=True
        )
        feeder.start()
    if streams.tty:
        while chunk := raw.recv(4096):
            streams.stdout.write(chunk)
            streams.stdout.flush()
        return
    for kind, data in _frames(raw, tty=False):
        target = streams.stderr if kind == frames.STDERR else streams.stdout
        target.write(data)
        target.flush()


def _feed(raw: socket.socket, stdin: BinaryIO, tty: bool) -> None:
    fileno = stdin.fileno()
    try:
        while data := os.read(fileno, 4096):
            raw.sendall(data)
        if not tty:
            raw.shutdown(socket.SHUT_WR)
    except OSError as exc:
        log.debug("stdin relay ended: %s", exc)


def get_archive(engine: Engine, ident: str, path: str) -> Iterator[bytes]:
    """A tar stream of ``path`` inside the container."""
    with _guard(f"copy {path} from container {ident[:12]}"):
        stream, _ = engine.api.get_archive(ident, path)
        yield from stream


def put_archive(engine: Engine, ident: str, path: str, data: bytes) -> bool:
    """Unpack a tar into directory ``path`` of the container; False if absent."""
    try:
        with _guard(f"copy to {path} in container {ident[:12]}"):
            return bool(engine.api.put_archive(ident, path, data))
    except EngineError as exc:
        if isinstance(exc.__cause__, docker.errors.NotFound):
            return False
        raise


def is_directory(engine: Engine, ident: str, path: str) -> bool | None:
    """Whether ``path`` in the container is a directory; None when absent."""
    try:
        with _guard(f"stat {path} in container {ident[:12]}"):
            _, stat = engine.api.get_archive(ident, path)
    except EngineError as exc:
        if isinstance(exc.__cause__, docker.errors.NotFound):
            return None
        raise
    return bool(int(stat.get("mode", 0)) & (1 << 31))


def events(engine: Engine, project: str) -> Iterator[dict[str, Any]]:
    """The engine's container events for ``project``, as they happen."""
    label = f"com.docker.compose.project={project}"
    with _guard("events"):
        stream = engine.api.events(
            filters={"label": label, "type": "container"}, decode=True
        )
        yield from stream
