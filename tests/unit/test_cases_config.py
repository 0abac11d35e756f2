"""Every `kind: config` case of ../shared/cases as a test, checked like run-cases.

Each case runs ``composer [global args] config --format json [other args]`` as a
subprocess from the case folder, with only PATH, HOME and the case's env.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CASES = REPO.parent / "shared" / "cases"
GLOBAL_OPTIONS = {
    "-f": True,
    "--file": True,
    "-p": True,
    "--project-name": True,
    "--profile": True,
    "--env-file": True,
    "--project-directory": True,
    "--ansi": True,
    "--progress": True,
    "--parallel": True,
    "--compatibility": False,
    "--all-resources": False,
}
MISSING = object()


def _config_cases() -> list[Path]:
    if not CASES.is_dir():
        return []
    found = []
    for case in sorted(CASES.iterdir()):
        spec = case / "case.yaml"
        if spec.is_file():
            data = yaml.safe_load(spec.read_text(encoding="utf-8"))
            if data.get("kind", "config") == "config":
                found.append(case)
    return found


def _composer() -> list[str]:
    script = Path(sys.executable).parent / "composer"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "composer"]


def _argv(args: list[Any]) -> list[str]:
    front: list[str] = []
    back: list[str] = []
    words = [str(a) for a in args]
    i = 0
    while i < len(words):
        word = words[i]
        name = word.split("=", 1)[0] if word.startswith("--") else word
        if name in GLOBAL_OPTIONS:
            front.append(word)
            if GLOBAL_OPTIONS[name] and "=" not in word and i + 1 < len(words):
                front.append(words[i + 1])
                i += 1
        else:
            back.append(word)
        i += 1
    return [*_composer(), *front, "config", "--format", "json", *back]


def _env_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _lookup(doc: Any, path: str) -> Any:
    current = doc
    for part in path.split("."):
        if isinstance(current, dict):
            if part not in current:
                return MISSING
            current = current[part]
        elif isinstance(current, list):
            if not part.isdigit() or int(part) >= len(current):
                return MISSING
            current = current[int(part)]
        else:
            return MISSING
    return current


def _same(expected: Any, actual: Any) -> bool:
    if expected is None:
        return actual is MISSING or actual in (None, [], {})
    if actual is MISSING:
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int | float):
        return isinstance(actual, int | float) and expected == actual
    if isinstance(expected, str):
        return isinstance(actual, str) and expected == actual
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_same(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        return all(
            _same(expected.get(k), actual.get(k, MISSING))
            for k in set(expected) | set(actual)
        )
    return bool(expected == actual)


@pytest.mark.parametrize("case_dir", _config_cases(), ids=lambda p: p.name)
def test_config_case(case_dir: Path) -> None:
    """The case's exit status, error text and values all hold."""
    case = yaml.safe_load((case_dir / "case.yaml").read_text(encoding="utf-8"))
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "")}
    env.update({str(k): _env_value(v) for k, v in (case.get("env") or {}).items()})
    proc = subprocess.run(
        _argv(case.get("args") or []),
        cwd=case_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    combined = proc.stderr + "\n" + proc.stdout
    assert "traceback (most recent call last)" not in combined.lower(), combined
    expect = case.get("expect") or {}
    want = expect.get("exit", 0)
    if want == "nonzero":
        assert proc.returncode != 0, combined
    else:
        assert proc.returncode == int(want), combined
    for text in expect.get("error_contains") or []:
        assert str(text).lower() in combined.lower(), combined
    values = expect.get("values") or {}
    if values:
        doc = json.loads(proc.stdout)
        for path, value in values.items():
            got = _lookup(doc, str(path))
            assert _same(value, got), f"{path}: got {got!r}, expected {value!r}"


def test_config_cases_were_found() -> None:
    """The shared cases folder is present and holds config cases."""
    assert len(_config_cases()) >= 20
