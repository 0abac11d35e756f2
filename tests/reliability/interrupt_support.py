"""Shared by the suites that interrupt an ``up`` (crash, engine restart).

The project both deploy, what a run after the interruption must find, and the
marker files whose loss they look for.
"""

from __future__ import annotations

import re
import subprocess

import docker

from reliability.engine_support import IMAGE

TEMPORARY = re.compile(r"^[0-9a-f]{12}_|_composer-old-")
MARKED = 3


def chain_app(services: int) -> str:
    """A chain of ``services`` services on three volumes and two networks.

    ``@P@`` stands for the project's name; odd services take ``MODE`` from the
    environment, so MODE=b recreates half of them.
    """
    return (
        "name: @P@\nservices:\n"
        + "".join(
            f"""  s{i}:
    image: {IMAGE}
    command: sleep 3600
    stop_signal: SIGKILL
    environment: {{MODE: "{"${MODE:-a}" if i % 2 else "a"}"}}
    volumes: [data{i % 3}:/data]
    networks: [n{i % 2}]
"""
            + (f"    depends_on: [s{i - 1}]\n" if i else "")
            for i in range(services)
        )
        + "volumes: {data0: {}, data1: {}, data2: {}}\nnetworks: {n0: {}, n1: {}}\n"
    )


def check_converged(
    where: str,
    up: subprocess.CompletedProcess[str],
    diff: subprocess.CompletedProcess[str],
    problems: list[str],
) -> None:
    """The ``up`` after an interruption succeeded and ``diff`` finds nothing."""
    if up.returncode != 0 or "Traceback" in up.stderr:
        problems.append(f"{where}: up failed: {up.stderr[-300:]}")
    if diff.returncode != 0:
        problems.append(f"{where}: not converged: {diff.stdout[-300:]}")


def write_markers(client: docker.DockerClient, name: str) -> list[int | None]:
    """A marker file on each volume, through the first services; exit codes."""
    return [
        client.containers.get(f"{name}-s{i}-1").exec_run(
            ["sh", "-c", "echo m > /data/m"]
        )[0]
        for i in range(MARKED)
    ]


def check_markers(
    client: docker.DockerClient, name: str, where: str, problems: list[str]
) -> None:
    """Every marker file written by ``write_markers`` is still there."""
    for i in range(MARKED):
        code, _ = client.containers.get(f"{name}-s{i}-1").exec_run(["cat", "/data/m"])
        if code != 0:
            problems.append(f"{where}: marker lost from data{i}")
