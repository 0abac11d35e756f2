"""Engine stopped and restarted in the middle of an ``up``: a dockerd of the test's own.

The test starts a private ``dockerd`` (``reliability.private_engine``), runs
``up`` against it, and asks the engine to stop (SIGTERM) when it reports its
k-th change (an event: a container, network or volume created, started,
renamed, stopped, connected or removed).  ``up`` must exit non-zero with a
clear message, no traceback, within the HTTP timeout plus a few seconds of the
engine's going away.  Then the engine is started again and one more ``up``
must converge: the plan after it empty, one container per service under its
own name, no temporary name, every marker file kept.  Two scenarios: a fresh
deploy, and a change that recreates half the services.  CI runs a few values
of k; COMPOSER_RELIABILITY=full runs every k until ``up`` finishes first.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reliability.engine_support import COMPOSER, LABEL
from reliability.figures import full_size, report
from reliability.interrupt_support import (
    TEMPORARY,
    chain_app,
    check_converged,
    check_markers,
    write_markers,
)
from reliability.private_engine import PrivateEngine

pytestmark = [pytest.mark.reliability, pytest.mark.engine]

SERVICES = 6
HTTP_TIMEOUT = 3
BOUND = HTTP_TIMEOUT * 4 + 10
CLEAR = ("engine", "docker")
CHANGES = {
    "create",
    "start",
    "rename",
    "stop",
    "destroy",
    "connect",
    "disconnect",
}
APP = chain_app(SERVICES)


@dataclass
class Tally:
    """Runs made, how long the stopped ones took to exit, what went wrong."""

    runs: int = 0
    stopped: int = 0
    slowest: float = 0.0
    problems: list[str] = field(default_factory=list)


@dataclass
class Site:
    """The private engine and a project directory on it."""

    engine: PrivateEngine
    path: Path
    name: str

    def run(
        self, *args: str, mode: str = "a", timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        """``composer ARGS`` against the private engine."""
        return subprocess.run(
            [COMPOSER, "--progress", "plain", *args],
            cwd=self.path,
            env=self.env(mode),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def env(self, mode: str) -> dict[str, str]:
        """The environment of a composer run."""
        return {
            **os.environ,
            "NO_COLOR": "1",
            "DOCKER_HOST": self.engine.docker_host,
            "COMPOSE_HTTP_TIMEOUT": str(HTTP_TIMEOUT),
            "COMPOSER_LOCK_TTL": "3",
            "MODE": mode,
        }


@pytest.fixture(name="site", scope="module")
def site_fixture() -> Iterator[Site]:
    """A private dockerd with the test image, removed with all it holds after."""
    with tempfile.TemporaryDirectory(prefix="rel-engine-") as tmp:
        root = Path(tmp)
        engine = PrivateEngine(root / "d")
        (root / "d").mkdir()
        try:
            engine.start()
            engine.load()
            name = f"relr{uuid.uuid4().hex[:10]}"
            path = root / name
            path.mkdir()
            (path / "compose.yaml").write_text(APP.replace("@P@", name))
            yield Site(engine, path, name)
        finally:
            engine.remove()


def _stop_at(engine: PrivateEngine, k: int, stopped: list[float]) -> Any:
    """Ask the engine to stop once it has reported k changes; the event stream."""
    events: Any = engine.client().events(decode=True)

    def watch() -> None:
        seen = 0
        try:
            for event in events:
                if event.get("Action", "").split(":")[0] in CHANGES:
                    seen += 1
                if seen >= k:
                    stopped.append(time.monotonic())
                    engine.signal_stop()
                    return
        except Exception:  # the stream ends, somehow, when the engine goes
            return

    threading.Thread(target=watch, daemon=True).start()
    return events


def _interrupted_up(site: Site, k: int, mode: str, tally: Tally) -> bool:
    """``up`` with the engine stopped after its k-th change; True when it was."""
    stopped: list[float] = []
    events = _stop_at(site.engine, k, stopped)
    proc = site.run("up", "-d", "-t", "0", mode=mode)
    ended = time.monotonic()
    where = f"k={k} mode={mode}"
    tally.runs += 1
    if not stopped:
        events.close()
        if proc.returncode != 0:
            tally.problems.append(f"{where}: up failed unstopped: {proc.stderr[-300:]}")
        return False
    tally.stopped += 1
    out = proc.stdout + proc.stderr
    took = ended - stopped[0]
    tally.slowest = max(tally.slowest, took)
    if "Traceback" in out:
        tally.problems.append(f"{where}: traceback: {out[-300:]}")
    if took > BOUND:
        tally.problems.append(f"{where}: exited {took:.1f} s after the stop")
    # Exit 0 is no failure: the engine may answer the last request before it
    # goes.  What counts is that the next up converges.
    if proc.returncode != 0 and not any(word in out.lower() for word in CLEAR):
        tally.problems.append(f"{where}: unclear message {out[-200:]!r}")
    site.engine.wait_stopped()
    site.engine.start()
    return True


def _check(site: Site, k: int, mode: str, markers: bool, tally: Tally) -> None:
    """One more ``up``: converged, no temporary names or duplicates, markers."""
    where = f"k={k} mode={mode}"
    up = site.run("up", "-d", "-t", "0", mode=mode)
    diff = site.run("diff", "--exit-code", mode=mode)
    check_converged(where, up, diff, tally.problems)
    client = site.engine.client()
    found = client.containers.list(all=True, filters={"label": f"{LABEL}={site.name}"})
    names = sorted(str(c.name) for c in found)
    if names != sorted(f"{site.name}-s{i}-1" for i in range(SERVICES)) or any(
        TEMPORARY.search(n) for n in names
    ):
        tally.problems.append(f"{where}: containers {names}")
    if markers:
        check_markers(client, site.name, where, tally.problems)


def _ks() -> list[int]:
    """The values of k to try."""
    return list(range(1, 80)) if full_size() else [3, 11]


def test_engine_restarted_mid_up(site: Site) -> None:
    """Fresh deploy and a half-recreating change; the engine restarted mid-up."""
    tally = Tally()
    for scenario in ("deploy", "change"):
        if scenario == "change":
            assert site.run("down", "-t", "0").returncode == 0
            assert site.run("up", "-d", "-t", "0").returncode == 0
            codes = write_markers(site.engine.client(), site.name)
            assert codes == [0, 0, 0]
        for index, k in enumerate(_ks()):
            if scenario == "deploy":
                assert site.run("down", "-t", "0").returncode == 0
                mode, markers = "a", False
            else:
                mode, markers = ("b" if index % 2 == 0 else "a"), True
            was_stopped = _interrupted_up(site, k, mode, tally)
            _check(site, k, mode, markers, tally)
            if not was_stopped:
                break
    failed_runs = len({p.split(":")[0] for p in tally.problems})
    lines = [
        f"runs: {tally.runs} ({tally.stopped} with the engine stopped mid-up), "
        f"k in {_ks()[:20]}",
        f"slowest exit after the engine was told to stop: {tally.slowest:.1f} s "
        f"(bound {BOUND} s, COMPOSE_HTTP_TIMEOUT={HTTP_TIMEOUT})",
        f"converged after the restart and one more up: "
        f"{100.0 * (tally.runs - failed_runs) / tally.runs:.1f} % (goal 100 %)",
        f"problems (tracebacks, slow exits, no convergence, temporary names, "
        f"duplicates, lost markers): {len(tally.problems)} (goal 0)",
        *(f"  {p}" for p in tally.problems),
    ]
    text = report("engine-restart", lines)
    assert not tally.problems, text
    assert tally.stopped >= 2, text
