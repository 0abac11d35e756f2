"""Engine faults: missing, refusing and stalling engines; an engine cut mid-up.

Every command must exit non-zero within a bounded time with a clear message and
no traceback; after a cut, one more ``up`` on the real engine must converge.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from reliability.engine_support import IMAGE, LABEL, Proj
from reliability.figures import full_size, report
from reliability.proxy import EngineProxy

pytestmark = [pytest.mark.reliability, pytest.mark.engine]

HTTP_TIMEOUT = 3
BOUND = HTTP_TIMEOUT * 4 + 10
COMMANDS = (["up", "-d"], ["diff"], ["ps"], ["down"])
CLEAR = ("engine", "docker")
LEASE_CALL = re.compile(rb"DELETE /\S*/containers/|POST /\S*/containers/\w+/update")

APP = (
    """
name: @P@
services:
"""
    + "".join(
        f"""  s{i}:
    image: {IMAGE}
    command: sleep 3600
    stop_signal: SIGKILL
    volumes: [data{i % 2}:/data]
    networks: [n{i % 2}]
"""
        + (f"    depends_on: [s{i - 1}]\n" if i else "")
        for i in range(6)
    )
    + """volumes:
  data0: {}
  data1: {}
networks:
  n0: {}
  n1: {}
"""
)


@pytest.fixture(name="fault_dir")
def fault_dir_fixture() -> Iterator[Path]:
    """A private directory for the fault sockets."""
    with tempfile.TemporaryDirectory(prefix="rel-fault-") as tmp:
        yield Path(tmp)


def _check(proj: Proj, host: str, fault: str, problems: list[str]) -> float:
    """Run every command against ``host``; record problems; return the slowest."""
    slowest = 0.0
    os.environ["COMPOSE_HTTP_TIMEOUT"] = str(HTTP_TIMEOUT)
    try:
        for command in COMMANDS:
            start = time.monotonic()
            proc = proj.run(*command, host=host, timeout=BOUND + 30)
            took = time.monotonic() - start
            slowest = max(slowest, took)
            out = (proc.stdout + proc.stderr).lower()
            what = f"{fault} {command[0]}"
            if proc.returncode == 0:
                problems.append(f"{what}: exit 0")
            if took > BOUND:
                problems.append(f"{what}: took {took:.1f} s")
            if not any(word in out for word in CLEAR):
                problems.append(f"{what}: unclear message {out[-200:]!r}")
    finally:
        del os.environ["COMPOSE_HTTP_TIMEOUT"]
    return slowest


def test_unreachable_engines(proj: Proj, fault_dir: Path) -> None:
    """Missing socket, refusing socket and a stalling proxy: clean, bounded exits."""
    proj.write(APP)
    problems: list[str] = []
    lines = []

    missing = f"unix://{fault_dir / 'missing.sock'}"
    took = _check(proj, missing, "missing", problems)
    lines.append(f"missing socket: slowest exit {took:.1f} s")

    refusing = fault_dir / "refusing.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(refusing))
    dead.close()
    took = _check(proj, f"unix://{refusing}", "refusing", problems)
    lines.append(f"refusing socket: slowest exit {took:.1f} s")
    took = _check(proj, "tcp://127.0.0.1:9", "refusing-tcp", problems)
    lines.append(f"refusing TCP port: slowest exit {took:.1f} s")

    stall = EngineProxy(fault_dir / "stall.sock", stall=True)
    try:
        took = _check(proj, stall.docker_host, "stalling", problems)
    finally:
        stall.close()
    lines.append(
        f"stalling engine (COMPOSE_HTTP_TIMEOUT={HTTP_TIMEOUT}): slowest exit "
        f"{took:.1f} s (bound {BOUND} s)"
    )
    lines.append(f"failures (exit 0, too slow, unclear, traceback): {len(problems)}")
    lines.extend(f"  {p}" for p in problems)
    text = report("engine-faults-unreachable", lines)
    assert not problems, text


def _cut_once(proj: Proj, fault_dir: Path, k: int) -> tuple[list[str], bool]:
    """``up`` through a proxy cut after k changes; then ``up`` directly.

    Returns the problems seen and whether the proxy was cut (False: ``up``
    made fewer than k+1 changes and finished).
    """
    problems = []
    sock = fault_dir / f"cut{k}.sock"
    proxy = EngineProxy(sock, cut_after=k)
    try:
        proc = proj.run("up", "-d", "-t", "0", host=proxy.docker_host, timeout=120)
    finally:
        proxy.close()
        sock.unlink(missing_ok=True)
    out = (proc.stdout + proc.stderr).lower()
    tripped = proxy.tripped
    # The lease's own calls, its release (the only DELETE of a fresh deploy)
    # and its renewal (an update), only warn when they fail: once the work is
    # done, exit 0 is right.
    lease = tripped is not None and LEASE_CALL.match(tripped)
    if tripped is not None and proc.returncode == 0 and not lease:
        problems.append(f"k={k}: exit 0 after the cut at {tripped!r}")
    if proc.returncode != 0 and not any(word in out for word in CLEAR):
        problems.append(f"k={k}: unclear message {out[-200:]!r}")
    proj.up()
    if not proj.converged():
        problems.append(f"k={k}: not converged: {proj.diff_text()[-300:]}")
    names = [
        c.name
        for c in docker.from_env().containers.list(
            all=True, filters={"label": f"{LABEL}={proj.name}"}
        )
    ]
    if len(names) != 6 or len(set(names)) != 6:
        problems.append(f"k={k}: containers {sorted(names)}")
    return problems, tripped is not None


def test_engine_cut_mid_up(proj: Proj, fault_dir: Path) -> None:
    """The engine vanishes after k changes of an ``up``; the next ``up`` converges.

    CI tries a few k; the full size every k until ``up`` finishes uncut.
    """
    proj.write(APP)
    ks = range(1, 80) if full_size() else (1, 4, 9, 14)
    problems: list[str] = []
    runs = cuts = 0
    tried: list[int] = []
    for k in ks:
        tried.append(k)
        found, cut = _cut_once(proj, fault_dir, k)
        problems.extend(found)
        runs += 1
        cuts += cut
        down = proj.run("down", "-t", "0")
        assert down.returncode == 0, down.stderr
        if not cut:
            break
    failed_runs = len({p.split(":")[0] for p in problems})
    rate = 100.0 * (runs - failed_runs) / runs
    lines = [
        f"cuts after k mutating calls, k in {tried}: {runs} runs, "
        f"{cuts} cut mid-up (goal: all but a last one that finished uncut)",
        f"converged after one more up: {rate:.1f} % (goal 100 %)",
        f"problems: {len(problems)} (goal 0)",
        *(f"  {p}" for p in problems),
    ]
    text = report("engine-faults-cut", lines)
    assert not problems, text
    assert cuts >= runs - 1 and (full_size() or cuts == runs), text
