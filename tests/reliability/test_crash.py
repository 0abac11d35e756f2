"""Crash at every step: ``up`` killed with SIGKILL after its k-th engine change.

A counting proxy on a private socket kills composer when the (k+1)-th mutating
request arrives; then one ``up`` on the real engine must converge, leave no
temporary or duplicated container and keep every marker file.  CI runs a few
values of k; COMPOSER_RELIABILITY=full runs every k until ``up`` finishes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest

from reliability.engine_support import COMPOSER, LABEL, Proj
from reliability.figures import full_size, report
from reliability.interrupt_support import (
    TEMPORARY,
    chain_app,
    check_converged,
    check_markers,
    write_markers,
)
from reliability.proxy import EngineProxy

pytestmark = [pytest.mark.reliability, pytest.mark.engine]

SERVICES = 10
APP = chain_app(SERVICES)


@dataclass
class Tally:
    """Runs made and what went wrong."""

    runs: int = 0
    killed: int = 0
    problems: list[str] = field(default_factory=list)


def _env(host: str | None = None, mode: str = "a") -> dict[str, str]:
    """The environment of a composer run."""
    env = {**os.environ, "NO_COLOR": "1", "COMPOSER_LOCK_TTL": "3", "MODE": mode}
    if host:
        env["DOCKER_HOST"] = host
    return env


def _killed_up(proj: Proj, k: int, mode: str, sock_dir: Path) -> bool:
    """``up`` through a proxy that SIGKILLs it at change k+1; True when killed."""
    sock = sock_dir / f"k{k}.sock"
    holder: list[subprocess.Popen[str]] = []
    proxy = EngineProxy(sock, cut_after=k, on_cut=lambda: holder[0].kill())
    try:
        proc = subprocess.Popen(
            [COMPOSER, "--progress", "plain", "up", "-d", "-t", "0"],
            cwd=proj.path,
            env=_env(proxy.docker_host, mode),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        holder.append(proc)
        proc.wait(timeout=180)
    finally:
        proxy.close()
        sock.unlink(missing_ok=True)
    return proc.returncode == -signal.SIGKILL


def _check(proj: Proj, k: int, mode: str, markers: bool, tally: Tally) -> None:
    """One more ``up``: converged, no temporary names or duplicates, markers."""
    client = docker.from_env()
    up = subprocess.run(
        [COMPOSER, "--progress", "plain", "up", "-d", "-t", "0"],
        cwd=proj.path,
        env=_env(mode=mode),
        capture_output=True,
        text=True,
        timeout=180,
    )
    where = f"k={k} mode={mode}"
    diff = subprocess.run(
        [COMPOSER, "diff", "--exit-code"],
        cwd=proj.path,
        env=_env(mode=mode),
        capture_output=True,
        text=True,
    )
    check_converged(where, up, diff, tally.problems)
    found = client.containers.list(all=True, filters={"label": f"{LABEL}={proj.name}"})
    names = [c.name for c in found]
    bad = [n for n in names if TEMPORARY.search(n)]
    if bad or len(names) != SERVICES:
        tally.problems.append(f"{where}: containers {sorted(names)}")
    if markers:
        check_markers(client, proj.name, where, tally.problems)


def _ks(limit: int) -> list[int]:
    """The values of k to try."""
    return list(range(0, limit)) if full_size() else [1, 7, 15]


def test_crash_at_every_step(proj: Proj) -> None:
    """Fresh deploy and a half-recreating change, killed after k changes."""
    proj.write(APP)
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="rel-crash-") as tmp:
        for scenario in ("deploy", "change"):
            for index, k in enumerate(_ks(200)):
                if scenario == "deploy":
                    proj.run("down", "-t", "0")
                    mode, markers = "a", False
                else:
                    mode, markers = ("b" if index % 2 == 0 else "a"), True
                    if k == _ks(200)[0]:
                        proj.run("down", "-t", "0")
                        subprocess.run(
                            [COMPOSER, "up", "-d", "-t", "0"],
                            cwd=proj.path,
                            env=_env(mode="a"),
                            check=True,
                            capture_output=True,
                        )
                        write_markers(docker.from_env(), proj.name)
                killed = _killed_up(proj, k, mode, Path(tmp))
                tally.runs += 1
                tally.killed += killed
                _check(proj, k, mode, markers, tally)
                if not killed and full_size():
                    break
    failed_runs = len({p.split(":")[0] for p in tally.problems})
    lines = [
        f"runs: {tally.runs} ({tally.killed} killed mid-up), k in {_ks(200)[:30]}",
        f"converged after one more up, clean: "
        f"{100.0 * (tally.runs - failed_runs) / tally.runs:.1f} % (goal 100 %)",
        f"problems (temporary names, duplicates, lost markers, no convergence): "
        f"{len(tally.problems)} (goal 0)",
        *(f"  {p}" for p in tally.problems),
    ]
    text = report("crash", lines)
    assert not tally.problems, text
    assert tally.killed >= 1, text
