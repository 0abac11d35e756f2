"""Changing files and processes inside running containers, for ``develop.watch``.

Files go in through the engine's archive API (one tar per batch); deletions
and ``sync+exec`` commands run through exec.  SDK errors become EngineError
here, as in the client.
"""

from __future__ import annotations

import io
import logging
import os
import tarfile
from collections.abc import Iterable, Sequence
from typing import Any

import docker.errors
import requests

from composer.engine.client import Engine
from composer.errors import EngineError

log = logging.getLogger(__name__)


def _fail(what: str, exc: Exception) -> EngineError:
    text = getattr(exc, "explanation", None) or str(exc)
    return EngineError(f"{what}: {text}")


def tar_of(files: Iterable[tuple[str, str]]) -> bytes:
    """A tar holding each host file at its path in the container."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for host_path, container_path in files:
            arcname = container_path.lstrip("/")
            tar.add(host_path, arcname=arcname, recursive=True)
    return buffer.getvalue()


def copy_into(engine: Engine, container: str, files: Sequence[tuple[str, str]]) -> None:
    """Copy host files (or directories) to their paths inside a container."""
    if not files:
        return
    api: Any = engine.api
    data = tar_of(files)
    try:
        api.put_archive(container, "/", data)
    except (requests.RequestException, docker.errors.DockerException) as exc:
        raise _fail(f"copy files into container {container[:12]}", exc) from exc
    log.debug("copied %d path(s) into %s", len(files), container[:12])


def run_in(
    engine: Engine,
    container: str,
    command: Sequence[str],
    user: str | None = None,
    workdir: str | None = None,
) -> tuple[int, str]:
    """Run a command inside a container; return its exit code and output."""
    api: Any = engine.api
    try:
        made = api.exec_create(
            container, list(command), user=user or "", workdir=workdir
        )
        output = api.exec_start(made["Id"])
        code = api.exec_inspect(made["Id"]).get("ExitCode")
    except (requests.RequestException, docker.errors.DockerException) as exc:
        raise _fail(f"run {command[0]!r} in container {container[:12]}", exc) from exc
    text = output.decode(errors="replace") if isinstance(output, bytes) else ""
    return int(code if code is not None else -1), text


def remove_in(engine: Engine, container: str, paths: Sequence[str]) -> None:
    """Delete paths inside a container (files deleted on the host)."""
    if not paths:
        return
    code, text = run_in(engine, container, ["rm", "-rf", "--", *paths])
    if code != 0:
        log.warning(
            "could not delete %s in %s: %s", ", ".join(paths), container[:12], text
        )


def exists(path: str) -> bool:
    """Whether a host path exists (a deleted file is synced as a deletion)."""
    return os.path.lexists(path)
