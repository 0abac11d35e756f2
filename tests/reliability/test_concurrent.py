"""Concurrent writers: 2, 4 and 8 ``composer up`` at once on one project.

The project has three services, a network and a volume.  Each trial starts
the racers together from one of three states: nothing deployed (every racer
has everything to create), deployed with the file since changed (a recreate
of two services), or deployed and unchanged.  Figures: duplicates (0: one
container per replica, one network, one volume, no temporary names), failures
other than a clear lock message (0; a racer that waited for the lease and then
found nothing to do succeeded), and the final state equal to that of a single
``up`` of the same file (same containers with the same applied configuration,
and an empty plan).  CI runs 3 trials per size; COMPOSER_RELIABILITY=full 20.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import docker
import pytest

from reliability.engine_support import COMPOSER, IMAGE, LABEL, Proj
from reliability.figures import full_size, report

pytestmark = [pytest.mark.reliability, pytest.mark.engine]

APP = """
name: @P@
services:
  db:
    image: {image}
    command: sleep 3600
    stop_signal: SIGKILL
    environment: {{MODE: "{mode}"}}
    volumes: [data:/data]
    networks: [back]
  api:
    image: {image}
    command: sleep 3600
    stop_signal: SIGKILL
    environment: {{MODE: "{mode}"}}
    depends_on: [db]
    networks: [back]
  web:
    image: {image}
    command: sleep 3600
    stop_signal: SIGKILL
    depends_on: [api]
    networks: [back]
volumes:
  data: {{}}
networks:
  back: {{}}
"""
SERVICES = ("db", "api", "web")
TEMPORARY = re.compile(r"^[0-9a-f]{12}_|_composer-old-")
#: A line of ``--progress plain`` for a change made.
WORK = re.compile(r"^\w+ \S+  (?:Created|Started|Recreated|Restarted|Removed)  ", re.M)
LOCK_MESSAGE = re.compile(r"project \S+ is locked by .+; try again later")
SIZES = (2, 4, 8)
#: What each trial starts from, in turn.
STARTS = ("fresh", "changed", "unchanged")


def trials() -> int:
    """Trials per number of racers."""
    return 20 if full_size() else 3


@dataclass
class Tally:
    """Racers run and what went wrong."""

    racers: int = 0
    trials: int = 0
    ok: int = 0
    locked: int = 0
    waited_noop: int = 0
    changes: int = 0
    duplicates: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unequal: list[str] = field(default_factory=list)
    slowest: float = 0.0


def _env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1"}


def _write(proj: Proj, mode: str) -> None:
    proj.write(APP.format(image=IMAGE, mode=mode))


def _single_up(proj: Proj) -> int:
    """One ``up``; the number of changes it made."""
    proc = proj.run("up", "-d", "-t", "0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return len(WORK.findall(proc.stdout + "\n" + proc.stderr))


def snapshot(client: docker.DockerClient, project: str) -> dict[str, Any]:
    """The project's objects, as far as a single run decides them."""
    flt = {"label": f"{LABEL}={project}"}
    containers = {
        c.name: (
            c.labels.get("composer.service-config"),
            c.labels.get("com.docker.compose.config-hash"),
            c.status,
        )
        for c in client.containers.list(all=True, filters=flt)
    }
    return {
        "containers": containers,
        "networks": sorted(n.name for n in client.networks.list(filters=flt)),
        "volumes": sorted(v.name for v in client.volumes.list(filters=flt)),
    }


def _duplicates(client: docker.DockerClient, project: str) -> list[str]:
    """Duplicated objects, temporary names and a lease left behind."""
    out = []
    flt = {"label": f"{LABEL}={project}"}
    names = [c.name for c in client.containers.list(all=True, filters=flt)]
    expected = {f"{project}-{s}-1" for s in SERVICES}
    if sorted(names) != sorted(expected):
        out.append(f"containers {sorted(names)}")
    out += [f"temporary name {n}" for n in names if TEMPORARY.search(n)]
    # Network names are not unique on the engine: count by name, not label.
    nets = client.networks.list(names=[f"{project}_back"])
    nets = [n for n in nets if n.name == f"{project}_back"]
    if len(nets) != 1:
        out.append(f"{len(nets)} networks named {project}_back")
    vols = client.volumes.list(filters=flt)
    if len(vols) != 1:
        out.append(f"volumes {sorted(v.name for v in vols)}")
    leases = client.containers.list(
        all=True, filters={"name": f"composer-lock-{project}"}
    )
    if leases:
        out.append("lease left behind")
    return out


def _race(proj: Proj, n: int) -> list[tuple[int, str, float]]:
    """Start ``n`` ``up`` at once; (exit code, output, seconds) of each."""
    procs = []
    began = time.monotonic()
    for _ in range(n):
        procs.append(
            subprocess.Popen(
                [COMPOSER, "--progress", "plain", "up", "-d", "-t", "0"],
                cwd=proj.path,
                env=_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        text = stdout + "\n" + stderr
        out.append((proc.returncode, text, time.monotonic() - began))
    return out


def _judge(
    where: str, results: list[tuple[int, str, float]], single: int, tally: Tally
) -> None:
    """Count successes, lock messages and other failures of one race.

    All racers together must make as many changes as one ``up`` alone.
    """
    made = sum(len(WORK.findall(text)) for _, text, _ in results)
    if made != single:
        tally.unequal.append(f"{where}: {made} changes made, one up makes {single}")
    for code, text, seconds in results:
        tally.racers += 1
        tally.slowest = max(tally.slowest, seconds)
        work = WORK.findall(text)
        tally.changes += len(work)
        if "Traceback" in text:
            tally.failures.append(f"{where}: traceback: {text[-400:]}")
        elif code == 0:
            tally.ok += 1
            if not work:
                tally.waited_noop += 1
        elif code == 4 and LOCK_MESSAGE.search(text):
            tally.locked += 1
        else:
            tally.failures.append(f"{where}: exit {code}: {text[-400:]}")


def test_concurrent_writers(proj: Proj) -> None:
    """2, 4 and 8 racers: no duplicates, no unclear failures, one run's state."""
    client = docker.from_env()
    # What one up alone does, from each start (``down`` keeps the volume).
    _write(proj, "a")
    _single_up(proj)
    proj.run("down", "-t", "0")
    single = {"fresh": _single_up(proj), "unchanged": 0}
    reference = {"a": snapshot(client, proj.name)}
    _write(proj, "b")
    single["changed"] = _single_up(proj)
    reference["b"] = snapshot(client, proj.name)
    tally = Tally()
    mode = "b"
    for n in SIZES:
        for trial in range(trials()):
            start = STARTS[trial % len(STARTS)]
            if start == "fresh":
                proj.run("down", "-t", "0")
            elif start == "changed":
                mode = "a" if mode == "b" else "b"
                _write(proj, mode)
            where = f"n={n} trial={trial} ({start}, mode {mode})"
            tally.trials += 1
            _judge(where, _race(proj, n), single[start], tally)
            tally.duplicates += [
                f"{where}: {d}" for d in _duplicates(client, proj.name)
            ]
            if snapshot(client, proj.name) != reference[mode]:
                tally.unequal.append(f"{where}: state differs from a single up")
            elif not proj.converged():
                tally.unequal.append(f"{where}: plan not empty: {proj.diff_text()}")
    lines = [
        f"trials: {tally.trials} ({trials()} per size {SIZES}, starting in turn "
        f"from {STARTS}), racers: {tally.racers}",
        f"racers that succeeded: {tally.ok} ({tally.waited_noop} of them waited "
        f"and found nothing to do); stopped by a clear lock message: {tally.locked}",
        f"failures other than a clear lock message: {len(tally.failures)} (goal 0)",
        *(f"  {f}" for f in tally.failures),
        f"duplicated objects, temporary names or leases left: "
        f"{len(tally.duplicates)} (goal 0)",
        *(f"  {d}" for d in tally.duplicates),
        f"final state or changes made different from a single up, or plan not "
        f"empty: "
        f"{len(tally.unequal)} (goal 0)",
        *(f"  {u}" for u in tally.unequal),
        f"changes made by all racers together: {tally.changes} (a single up: "
        f"{single}); slowest racer "
        f"{tally.slowest:.1f} s",
    ]
    text = report("concurrent", lines)
    assert not tally.failures, text
    assert not tally.duplicates, text
    assert not tally.unequal, text
