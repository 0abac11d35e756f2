"""Benchmark: the watch loop (issue 5).

Measures, against the local Docker engine with ``busybox:local``:

1. save-to-running latency: the time from saving a one-service environment
   change in a 20-service project to that service's new container running
   with the new value, while ``composer watch`` runs (target: at most 1 s plus
   the container's own start time, printed beside it);
2. a warm no-op pass of the loop at 100 services, in-process (target: at
   most 20 ms): first without the event stream, so each pass observes and
   plans, and the same pass with a reload of the files; then with the event
   stream followed, as ``composer watch`` runs, where a pass reuses the last
   observation while no engine event has made it stale (the count of passes
   that did is printed: another client's events on a shared engine make some
   observe again);
3. the idle watcher's CPU use and resident memory (target: at most 80 MB).

Neither Docker Compose has a loop that reconciles a Compose file: v2's
``watch`` follows ``develop.watch`` rules only and v1 has none.  The nearest
figure of theirs, printed beside the no-op pass, is a no-op ``up -d`` of the
same 100 services, each tool with its own project (``--no-references`` skips
it).

This is a benchmark, not a test: it asserts nothing.  Each run uses its own
project name and removes what it made by label.

Usage::

    .venv/bin/python bench/bench_watch.py [--runs R] [--services N] [--idle S]
        [--noop-services N] [--no-references] [--skip-latency]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parents[1]
COMPOSER = str(ROOT / ".venv" / "bin" / "composer")
LABEL = "com.docker.compose.project"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def project_yaml(name: str, services: int, value: int) -> str:
    """A project of busybox services; service s0's VALUE is ``value``."""
    lines = [f"name: {name}", "services:"]
    for i in range(services):
        lines += [
            f"  s{i}:",
            "    image: busybox:local",
            "    command: sleep 3600",
            "    stop_signal: SIGKILL",
            f'    environment: {{VALUE: "{value if i == 0 else 0}"}}',
        ]
    return "\n".join(lines) + "\n"


def cleanup(name: str) -> None:
    """Remove everything labelled with the project."""
    client = docker.from_env()
    flt = {"label": f"{LABEL}={name}"}
    for c in client.containers.list(all=True, filters=flt):
        c.remove(force=True)
    for n in client.networks.list(filters=flt):
        n.remove()


def _stamp(text: str) -> float:
    """Seconds since the epoch of an engine timestamp (nanoseconds cut)."""
    head, _, frac = text.rstrip("Z").partition(".")
    parsed = datetime.fromisoformat(head + "+00:00")
    return parsed.timestamp() + float("0." + (frac or "0")[:6])


def _wait_value(api: docker.APIClient, name: str, value: int) -> dict[str, object]:
    wanted = f"VALUE={value}"
    while True:
        try:
            found = api.inspect_container(name)
        except docker.errors.NotFound:
            time.sleep(0.01)
            continue
        if wanted in found["Config"]["Env"] and found["State"]["Running"]:
            return dict(found)
        time.sleep(0.01)


def latency(workdir: Path, services: int, runs: int, idle: float) -> None:
    """Save-to-running latency and the idle watcher's CPU and memory."""
    name = f"bw{uuid.uuid4().hex[:8]}"
    compose = workdir / "compose.yaml"
    compose.write_text(project_yaml(name, services, 0))
    log = (workdir / "watch.log").open("w")
    proc = subprocess.Popen(
        [COMPOSER, "--progress", "quiet", "watch", "--debounce", "200"],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    api = docker.APIClient(version="1.41")
    try:
        _wait_value(api, f"{name}-s0-1", 0)
        for other in range(1, services):
            _wait_value(api, f"{name}-s{other}-1", 0)
        time.sleep(1)
        totals, starts = [], []
        for run in range(1, runs + 1):
            saved = time.time()
            compose.write_text(project_yaml(name, services, run))
            found = _wait_value(api, f"{name}-s0-1", run)
            totals.append(time.time() - saved)
            state = found["State"]
            assert isinstance(state, dict)
            starts.append(
                _stamp(str(state["StartedAt"])) - _stamp(str(found["Created"]))
            )
            time.sleep(0.5)
        med, start = statistics.median(totals), statistics.median(starts)
        print(f"save-to-running, 1 of {services} services, {runs} runs:")
        print(f"  median {med:.3f} s; container create-to-started {start:.3f} s")
        print(f"  composer's part {med - start:.3f} s (target <= 1 s)")
        idle_usage(proc.pid, idle)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        log.close()
        cleanup(name)


def idle_usage(pid: int, seconds: float) -> None:
    """CPU share and resident memory of an idle process, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    before, began = cpu(), time.monotonic()
    time.sleep(seconds)
    used = (cpu() - before) / (time.monotonic() - began)
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    print(
        f"idle watcher over {seconds:.0f} s: CPU {used * 100:.2f} %, "
        f"RSS {rss / 1024:.1f} MB (target <= 80 MB)"
    )


def noop_pass(workdir: Path, services: int, runs: int) -> None:
    """A warm no-op pass of the loop, in-process, with and without a reload."""
    from composer.engine.client import Engine
    from composer.engine.observe import observe
    from composer.spec import LoadOptions, load_project
    from composer.watch.loop import Loop, LoopOptions
    from composer.watch.report import NullPassReporter
    from composer.watch.sources import project_sources

    name = f"bn{uuid.uuid4().hex[:8]}"
    (workdir / "compose.yaml").write_text(project_yaml(name, services, 0))
    subprocess.run(
        [COMPOSER, "--progress", "quiet", "up", "-t", "0"],
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    options = LoadOptions(cwd=str(workdir), environ=dict(os.environ))

    def loader():  # type: ignore[no-untyped-def]
        project = load_project(options)
        return project, project_sources(project, options)

    engine = Engine()
    loop = Loop(
        engine,
        loader,
        NullPassReporter(),
        LoopOptions(watch_files=False),
    )
    try:
        loop.run_pass(["warm-up"], initial=True)
        compose = str(workdir / "compose.yaml")
        variants = [
            ("no event stream, observe + plan", set(), False),
            ("no event stream, reload + observe + plan", {compose}, False),
            ("event stream followed, plan on the reused observation", set(), True),
        ]
        for label, files, follow in variants:
            if follow:
                loop.start_watchers()
                while not loop.following:
                    time.sleep(0.05)
                time.sleep(1.5)  # let the replayed events of the last second pass
                loop.run_pass(["keep"])  # observes once, and keeps it
            reused = loop.reused
            times, cpu = [], []
            for _ in range(runs):
                began, cpu_began = time.perf_counter(), time.process_time()
                result = loop.run_pass(["bench"], set(files))
                times.append(time.perf_counter() - began)
                cpu.append(time.process_time() - cpu_began)
                assert result.plan is not None and result.plan.empty
            print(
                f"no-op pass at {services} services, {label}: median "
                f"{statistics.median(times) * 1000:.1f} ms wall (min "
                f"{min(times) * 1000:.1f}), {statistics.median(cpu) * 1000:.1f} ms "
                f"CPU over {runs} (target <= 20 ms)"
                + (f"; {loop.reused - reused} of {runs} reused" if follow else "")
            )
        observed = []
        for _ in range(runs):
            began = time.perf_counter()
            observe(engine, name)
            observed.append(time.perf_counter() - began)
        print(
            f"  of which the engine's four list requests (observe): median "
            f"{statistics.median(observed) * 1000:.1f} ms"
        )
    finally:
        loop.close()
        engine.close()
        cleanup(name)


def reference_noop(services: int, runs: int) -> None:
    """No-op ``up -d`` of Docker Compose v2 and v1, each on its own project."""
    from bench_up import V1, compose_file, compose_v2, run

    tools = {"compose-v2": [compose_v2()]}
    if Path(V1).exists():
        tools["compose-v1"] = [V1]
    for name, tool in tools.items():
        with tempfile.TemporaryDirectory() as tmp:
            cwd = Path(tmp)
            project = f"bw{name.replace('-', '')}{uuid.uuid4().hex[:6]}"
            (cwd / "compose.yaml").write_text(compose_file(services, "a"))
            try:
                run(tool, cwd, project, "up", "-d")
                times = [run(tool, cwd, project, "up", "-d") for _ in range(runs)]
            finally:
                run(tool, cwd, project, "down", "-t", "0")
        print(
            f"  reference: {name} no-op up -d at {services} services: median "
            f"{statistics.median(w for w, _ in times) * 1000:.0f} ms wall, "
            f"{statistics.median(c for _, c in times) * 1000:.0f} ms CPU"
        )


def main() -> None:
    """Run the three measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--noop-services", type=int, default=100)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--no-references", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    print(f"load average: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if not args.skip_latency:
        with tempfile.TemporaryDirectory() as tmp:
            latency(Path(tmp), args.services, args.runs, args.idle)
    with tempfile.TemporaryDirectory() as tmp:
        noop_pass(Path(tmp), args.noop_services, args.runs * 4)
    if not args.no_references:
        reference_noop(args.noop_services, args.runs)
    print(f"load average: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
