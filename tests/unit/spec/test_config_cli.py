"""`composer config` options, run as the user runs them."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

COMPOSE = """\
services:
  web:
    image: nginx
    command: echo $$HOME
    depends_on: [db]
  db:
    build: .
    profiles: [dev]
    volumes: [data:/d]
  tool:
    image: tool
    profiles: [ops]
volumes:
  data:
"""


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # COMPOSER_TEST_CLI runs another build, such as a snapshot of a commit.
    override = os.environ.get("COMPOSER_TEST_CLI")
    command = (
        shlex.split(override)
        if override
        else [str(Path(sys.executable).parent / "composer")]
    )
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(root)}
    return subprocess.run(
        [*command, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_listings_and_formats(tmp_path: Path) -> None:
    """--services, --volumes, --profiles, --images, --hash, json and -q."""
    (tmp_path / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    prof = ("--profile", "dev")
    assert _run(tmp_path, *prof, "config", "--services").stdout.split() == [
        "db",
        "web",
    ]
    assert _run(tmp_path, *prof, "config", "--volumes").stdout.split() == ["data"]
    profiles = _run(tmp_path, *prof, "config", "--profiles").stdout.split()
    assert profiles == ["dev", "ops"]
    images = _run(tmp_path, *prof, "config", "--images").stdout.split()
    assert images == [f"{tmp_path.name.lower()}-db", "nginx"]
    hashed = _run(tmp_path, *prof, "config", "--hash", "web").stdout.split()
    assert hashed[0] == "web" and len(hashed[1]) == 64
    doc = json.loads(_run(tmp_path, *prof, "config", "--format", "json").stdout)
    assert doc["services"]["web"]["command"] == ["echo", "$$HOME"]
    quiet = _run(tmp_path, *prof, "config", "-q")
    assert quiet.returncode == 0 and quiet.stdout == ""


def test_invalid_file_exits_3_without_traceback(tmp_path: Path) -> None:
    """A broken file exits 3 with a located message and no traceback."""
    (tmp_path / "compose.yaml").write_text("services:\n  web: [\n", encoding="utf-8")
    proc = _run(tmp_path, "config")
    assert proc.returncode == 3
    assert "compose.yaml:" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_disabled_dependency_names_profile(tmp_path: Path) -> None:
    """Without --profile dev, web's dependency db is disabled by profile dev."""
    (tmp_path / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    proc = _run(tmp_path, "config")
    assert proc.returncode == 3
    assert 'service "db" is required by "web" but is disabled' in proc.stderr
    assert "[dev]" in proc.stderr


def test_output_file(tmp_path: Path) -> None:
    """-o writes the YAML to a file."""
    (tmp_path / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    proc = _run(tmp_path, "--profile", "dev", "config", "-o", "out.yaml")
    assert proc.returncode == 0
    assert (tmp_path / "out.yaml").read_text(encoding="utf-8").startswith("name: ")
