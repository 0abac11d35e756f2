"""Bad input: every broken project is refused with a positioned error, never a crash.

Runs the loader in-process on the hand-written table and on hypothesis-generated
cases, and a sample through the CLI (config, up, diff) with DOCKER_HOST pointed at
a socket that records any engine call.  COMPOSER_RELIABILITY=full runs more.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from composer.errors import ComposerError
from composer.spec import LoadOptions, load_project
from reliability.bad_generated import GENERATED
from reliability.bad_inputs import MAIN, BadInput, hand_written
from reliability.conftest import RecordingSocket
from reliability.figures import ROOT, full_size, report

pytestmark = pytest.mark.reliability
COMPOSER = str(ROOT / ".venv" / "bin" / "composer")


@dataclass
class Tally:
    """What the loader did with the corpus."""

    rejected: int = 0
    accepted: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    unnamed: list[str] = field(default_factory=list)
    positioned: int = 0
    unpositioned: list[str] = field(default_factory=list)


def _write(case: BadInput, directory: Path) -> None:
    """Write the case's files into ``directory``."""
    for name, data in case.files.items():
        (directory / name).write_bytes(data)


def _load(case: BadInput, tally: Tally) -> None:
    """Load one case in-process and record what happened."""
    with tempfile.TemporaryDirectory(prefix="rel-bad-") as tmp:
        directory = Path(tmp)
        _write(case, directory)
        environ = {"HOME": tmp, "PATH": "/usr/bin:/bin", **case.environ}
        try:
            load_project(LoadOptions(cwd=tmp, environ=environ))
        except ComposerError as exc:
            _judge(case, exc, tally)
        except Exception as exc:  # counted: must never happen
            tally.crashes.append(f"{case.name}: {type(exc).__name__}: {exc}")
        else:
            tally.accepted.append(case.name)


def _judge(case: BadInput, exc: ComposerError, tally: Tally) -> None:
    """Check that a refusal names the file and, where it has one, the position."""
    tally.rejected += 1
    text = exc.render()
    if case.bad_file not in text or case.says not in text:
        tally.unnamed.append(f"{case.name}: {text[:160]}")
    if not case.positioned:
        return
    tally.positioned += 1
    if not any(
        d.location.line is not None and d.location.column is not None
        for d in exc.diagnostics
    ):
        tally.unpositioned.append(f"{case.name}: {text[:160]}")


def _percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage with one decimal."""
    return f"{100.0 * part / whole:.1f} %" if whole else "n/a"


def _run_cli(case: BadInput, sock: RecordingSocket) -> list[str]:
    """Run config, up and diff on one case; return the problems seen."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="rel-cli-") as tmp:
        _write(case, Path(tmp))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,
            "NO_COLOR": "1",
            "DOCKER_HOST": sock.docker_host,
            **case.environ,
        }
        for command in (["config"], ["up"], ["diff"]):
            proc = subprocess.run(
                [COMPOSER, *command],
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=60,
            )
            out = proc.stdout + proc.stderr
            if "Traceback" in out:
                problems.append(f"{case.name} {command[0]}: traceback")
            if proc.returncode == 0:
                problems.append(f"{case.name} {command[0]}: exit 0")
    return problems


def test_bad_input(recording_socket: RecordingSocket) -> None:
    """≥ 500 broken inputs: no crash, file named, positioned, no engine call."""
    tally = Tally()
    table = hand_written()
    for case in table:
        _load(case, tally)
    examples = 1500 if full_size() else 600

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(GENERATED)
    def generated(drawn: tuple[str, bytes]) -> None:
        kind, data = drawn
        _load(BadInput(f"gen-{kind}", {MAIN: data}), tally)

    generated()

    rejected_table = [c for c in table if c.name not in tally.accepted]
    sample = rejected_table if full_size() else rejected_table[::8]
    cli_problems: list[str] = []
    for case in sample:
        cli_problems.extend(_run_cli(case, recording_socket))

    named = tally.rejected - len(tally.unnamed)
    placed = tally.positioned - len(tally.unpositioned)
    lines = [
        f"inputs tried: {len(table)} hand-written + {examples} generated",
        f"broken inputs refused: {tally.rejected} (goal >= 500)",
        f"accepted as valid (not counted): {len(tally.accepted)}",
        f"exceptions other than ComposerError: {len(tally.crashes)} (goal 0)",
        f"errors naming the file: {_percent(named, tally.rejected)} (goal 100 %)",
        f"errors with line and column where the mistake has one: "
        f"{_percent(placed, tally.positioned)} of {tally.positioned} (goal 100 %)",
        f"CLI runs (config, up, diff): {3 * len(sample)}, "
        f"tracebacks or exit 0: {len(cli_problems)} (goal 0)",
        f"engine connections before validation passed: "
        f"{len(recording_socket.connections)} (goal 0)",
    ]
    for title, items in (
        ("crash", tally.crashes),
        ("unnamed", tally.unnamed),
        ("unpositioned", tally.unpositioned),
        ("cli", cli_problems),
        ("accepted", sorted(set(tally.accepted))),
    ):
        lines.extend(f"  {title}: {item}" for item in items[:80])
    text = report("bad-input", lines)

    assert tally.rejected >= 500, text
    assert not tally.crashes, text
    assert not tally.unnamed, text
    assert not tally.unpositioned, text
    assert not cli_problems, text
    assert not recording_socket.connections, text
