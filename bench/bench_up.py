"""Compare `up` timings of composer with Docker Compose v2 (and v1 if present).

Not a test: prints medians and ratios.  For 1, 20 and 100 busybox services
it times a cold `up` (after `down`), a no-op `up` and an `up` after changing
one service's environment, each tool with its own project name, and counts
the engine API requests composer makes for the no-op pass.

    .venv/bin/python bench/bench_up.py [--sizes 1,20,100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS: dict[str, list[str]] = {
    "composer": [str(ROOT / ".venv" / "bin" / "composer"), "--progress", "quiet"],
    "compose-v2": [str(ROOT / ".venv" / "bin" / "docker-compose")],
}
V1 = shutil.which("docker-compose-v1") or "/usr/bin/docker-compose"


def compose_file(services: int, value: str) -> str:
    """A project of ``services`` sleeping busybox containers."""
    lines = ["services:"]
    for n in range(services):
        lines += [
            f"  s{n}:",
            "    image: busybox:local",
            "    command: sleep 3600",
            "    stop_signal: SIGKILL",
            "    environment:",
            f'      V: "{value if n == 0 else "fixed"}"',
        ]
    return "\n".join(lines) + "\n"


def run(cmd: list[str], cwd: Path, project: str, *args: str) -> float:
    """Run one command; return its wall time in seconds."""
    began = time.perf_counter()
    proc = subprocess.run(
        [*cmd, "-p", project, *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} {' '.join(args)} failed:\n{proc.stderr}")
    return time.perf_counter() - began


def measure(
    tool: list[str], cwd: Path, project: str, services: int, repeat: int
) -> dict[str, float]:
    """Medians of cold, no-op and env-change `up` for one tool."""
    write: Callable[[str], int] = (cwd / "compose.yaml").write_text
    down = [*tool]
    cold, noop, change = [], [], []
    for _ in range(repeat):
        write(compose_file(services, "a"))
        run(down, cwd, project, "down", "-t", "0")
        cold.append(run(tool, cwd, project, "up", "-d"))
    for _ in range(repeat):
        noop.append(run(tool, cwd, project, "up", "-d"))
    for i in range(repeat):
        write(compose_file(services, f"v{i}"))
        change.append(run(tool, cwd, project, "up", "-d", "-t", "0"))
    run(down, cwd, project, "down", "-t", "0")
    return {
        "cold": statistics.median(cold),
        "noop": statistics.median(noop),
        "change": statistics.median(change),
    }


def api_calls(cwd: Path, project: str, services: int) -> int:
    """Engine requests composer makes for a no-op pass (observe and plan)."""
    sys.path.insert(0, str(ROOT))
    from composer.cli.app import GlobalOptions
    from composer.cli.pipeline import hasher, prepare
    from composer.plan import PlanOptions, plan

    tool = TOOLS["composer"]
    (cwd / "compose.yaml").write_text(compose_file(services, "a"))
    run(tool, cwd, project, "up", "-d")
    here = os.getcwd()
    os.chdir(cwd)
    try:
        state = prepare(GlobalOptions(project_name=project))
        result = plan(state.desired, state.actual, PlanOptions(hasher=hasher()))
        assert result.empty, "the no-op pass planned changes"
        count = len(state.engine.log.requests)
    finally:
        os.chdir(here)
        run(tool, cwd, project, "down", "-t", "0")
    return count


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,20,100")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tools = dict(TOOLS)
    if Path(V1).exists():
        tools["compose-v1"] = [V1]
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'services':>8} {'tool':<11} {'cold':>7} {'no-op':>7} {'env':>7}")
    for size in sizes:
        results: dict[str, dict[str, float]] = {}
        for name, tool in tools.items():
            with tempfile.TemporaryDirectory() as tmp:
                project = f"bench-{name.replace('-', '')}-{size}"
                results[name] = measure(tool, Path(tmp), project, size, args.repeat)
            r = results[name]
            print(
                f"{size:>8} {name:<11} {r['cold']:>7.2f} {r['noop']:>7.2f} "
                f"{r['change']:>7.2f}"
            )
        base = results["compose-v2"]
        ours = results["composer"]
        ratios = " ".join(
            f"{k}={ours[k] / base[k]:.2f}" for k in ("cold", "noop", "change")
        )
        print(f"{size:>8} composer/compose-v2 ratios: {ratios}")
        with tempfile.TemporaryDirectory() as tmp:
            calls = api_calls(Path(tmp), f"bench-calls-{size}", size)
        print(f"{size:>8} composer no-op pass: {calls} engine API requests")


if __name__ == "__main__":
    main()
