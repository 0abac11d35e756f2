"""examples/databases: `composer config` validates each profile (issue 9).

Running the databases needs a registry; here only the files are checked,
through the same loader `up` uses, and against Docker Compose v2.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "databases"
BIN = REPO / ".venv" / "bin"
PROFILES = {
    "sqlserver": ("1433", "sqlserver-data", "/var/opt/mssql"),
    "mongodb": ("27017", "mongodb-data", "/data/db"),
    "postgres": ("5432", "postgres-data", "/var/lib/postgresql/data"),
}


def _config(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COMPOSE_", "MSSQL_", "MONGO_", "POSTGRES_"))
    }
    return subprocess.run(
        [str(BIN / tool), *args],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _model(*profiles: str) -> dict[str, Any]:
    args = [a for p in profiles for a in ("--profile", p)]
    proc = _config("composer", *args, "config", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr.lower(), proc.stderr
    parsed: dict[str, Any] = json.loads(proc.stdout)
    return parsed


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_each_profile_is_one_healthy_database(profile: str) -> None:
    """A profile enables exactly its database, with port, volume and health."""
    port, volume, target = PROFILES[profile]
    model = _model(profile)
    assert list(model["services"]) == [profile]
    service = model["services"][profile]
    assert [p["published"] for p in service["ports"]] == [port]
    mount = service["volumes"][0]
    assert (mount["type"], mount["source"], mount["target"]) == (
        "volume",
        volume,
        target,
    )
    assert list(model["volumes"]) == [volume]
    assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
    assert all(v for v in service["environment"].values())


def test_credentials_come_from_dotenv() -> None:
    """The EULA, the SA password and the users are set from .env."""
    dotenv = dict(
        line.split("=", 1)
        for line in (EXAMPLE / ".env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    services = _model(*PROFILES)["services"]
    sql = services["sqlserver"]["environment"]
    assert sql == {
        "ACCEPT_EULA": "Y",
        "MSSQL_SA_PASSWORD": dotenv["MSSQL_SA_PASSWORD"],
    }
    mongo = services["mongodb"]["environment"]
    assert mongo["MONGO_INITDB_ROOT_USERNAME"] == dotenv["MONGO_ROOT_USER"]
    assert mongo["MONGO_INITDB_ROOT_PASSWORD"] == dotenv["MONGO_ROOT_PASSWORD"]
    pg = services["postgres"]["environment"]
    assert pg["POSTGRES_PASSWORD"] == dotenv["POSTGRES_PASSWORD"]
    assert pg["POSTGRES_DB"] == dotenv["POSTGRES_DB"]


def test_no_profile_starts_nothing() -> None:
    """Without a profile the project is valid and has no service."""
    assert _model()["services"] == {}


def test_missing_password_is_a_clear_error(tmp_path: Path) -> None:
    """Without .env, the required variables stop `config` with exit 3."""
    (tmp_path / "compose.yaml").write_text((EXAMPLE / "compose.yaml").read_text())
    proc = subprocess.run(
        [str(BIN / "composer"), "--profile", "postgres", "config", "-q"],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3
    assert "is missing a value: set " in proc.stderr
    assert " in .env" in proc.stderr and "Traceback" not in proc.stderr


def test_docker_compose_accepts_it() -> None:
    """The reference Docker Compose v2 loads every profile too."""
    args = [a for p in PROFILES for a in ("--profile", p)]
    proc = _config("docker-compose", *args, "config", "-q")
    assert proc.returncode == 0, proc.stderr
