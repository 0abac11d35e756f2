"""Recording a suite's figures: printed to stdout and kept in .cache/."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache"


def full_size() -> bool:
    """True when COMPOSER_RELIABILITY=full asks for the full-size suites."""
    return os.environ.get("COMPOSER_RELIABILITY", "") == "full"


def report(suite: str, lines: list[str]) -> str:
    """Print a suite's figures and write them to .cache/reliability-SUITE.txt."""
    size = "full" if full_size() else "reduced (CI)"
    text = "\n".join([f"reliability suite {suite}, size {size}", *lines]) + "\n"
    print("\n" + text)
    CACHE.mkdir(exist_ok=True)
    (CACHE / f"reliability-{suite}.txt").write_text(text)
    return text
