"""The files of examples/postgres-dotnet: they parse, the reference Docker
Compose v2 and composer both load the local variant to the expected project,
and composer explains the tutorial's broken file (issues 3 and 6).

No engine is needed; the real deployment is tests/engine/test_example.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "postgres-dotnet"
VENV_BIN = REPO / ".venv" / "bin"
COMPOSER = VENV_BIN / "composer"
REFERENCE = VENV_BIN / "docker-compose"
LOCAL_FILES = ("-f", "compose.yaml", "-f", "compose.local.yaml")
TIMEOUT = 60.0

EXPECTED_PGSQL = (
    "Host=mi-postgres;Port=5432;Database=Curso;User Id=postgres;"
    "Password=local-example-password;"
)


class _TaggedLoader(yaml.SafeLoader):
    """A safe loader that also reads Compose's merge tags (!reset, !override)."""


def _tagged(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    # The tag replaced the scalar's own type (null, int, ...): resolve it again.
    tag = loader.resolve(yaml.ScalarNode, node.value, (True, False))  # type: ignore[no-untyped-call]
    plain = yaml.ScalarNode(tag, node.value)
    return loader.construct_object(plain)


_TaggedLoader.add_constructor("!reset", _tagged)
_TaggedLoader.add_constructor("!override", _tagged)


def _run(
    tool: Path, args: Sequence[str], home: Path
) -> subprocess.CompletedProcess[str]:
    """Run a tool from the example's directory with a clean environment, so
    variables of the calling shell cannot change what .env supplies."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
    return subprocess.run(
        [str(tool), *args],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


# ------------------------------------------------------------------ the files


@pytest.mark.parametrize(
    "name", ["compose.yaml", "compose.local.yaml", "compose.broken.yaml"]
)
def test_compose_file_parses_as_yaml(name: str) -> None:
    document = yaml.load((EXAMPLE / name).read_text(), Loader=_TaggedLoader)
    assert isinstance(document, dict)
    assert "services" in document


def test_env_file_supplies_the_defaults() -> None:
    values = dict(
        line.split("=", 1)
        for line in (EXAMPLE / ".env").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    assert values["POSTGRES_USER"] == "postgres"
    assert values["POSTGRES_DB"] == "Curso"
    assert values["POSTGRES_PASSWORD"]


def test_local_override_stays_minimal() -> None:
    override = yaml.load(
        (EXAMPLE / "compose.local.yaml").read_text(), Loader=_TaggedLoader
    )
    assert set(override) == {"services"}
    assert override["services"]["mi-postgres"] == {"image": "composer-test/postgres:15"}
    app = override["services"]["mi-aplicacion"]
    assert set(app) == {"build", "healthcheck"}
    assert app["build"] == {"context": "./standin"}


def test_dotnet_app_follows_the_runtime_conventions() -> None:
    dockerfile = (EXAMPLE / "Dockerfile").read_text()
    froms = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert len(froms) == 2
    assert froms[0].startswith("mcr.microsoft.com/dotnet/sdk:")
    assert froms[1].startswith("mcr.microsoft.com/dotnet/aspnet:")
    runtime_stage = dockerfile.split("FROM mcr.microsoft.com/dotnet/aspnet:")[1]
    assert re.search(r"^USER\s+(app|\$APP_UID)\s*$", runtime_stage, re.MULTILINE)
    assert re.search(r"^EXPOSE\s+8080\s*$", runtime_stage, re.MULTILINE)
    assert "Password" not in dockerfile and "POSTGRES_PASSWORD" not in dockerfile

    project = (EXAMPLE / "app" / "MiAplicacion.csproj").read_text()
    assert 'PackageReference Include="Npgsql"' in project
    program = (EXAMPLE / "app" / "Program.cs").read_text()
    assert 'Configuration["Pgsql"]' in program
    for contract in ('MapGet("/"', 'MapGet("/health"', '"visits"', '"server_version"'):
        assert contract in program


def test_standin_reads_the_connection_string_of_the_compose_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # psycopg2 lives in the stand-in's image, not in the test environment.
    monkeypatch.setitem(sys.modules, "psycopg2", types.ModuleType("psycopg2"))
    monkeypatch.syspath_prepend(str(EXAMPLE / "standin"))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    import app as standin  # type: ignore[import-not-found]

    assert standin.parse_connection_string(EXPECTED_PGSQL) == {
        "host": "mi-postgres",
        "port": "5432",
        "dbname": "Curso",
        "user": "postgres",
        "password": "local-example-password",
        "connect_timeout": "15",
    }
    quoted = standin.parse_connection_string("Server=h; Username=u; Password='a;''b'")
    assert quoted["password"] == "a;'b" and quoted["user"] == "u"
    with pytest.raises(ValueError):
        standin.parse_connection_string("Port=5432")
    monkeypatch.delitem(sys.modules, "app")


# ------------------------------------------------------ the merged local variant


def _check_local_project(project: dict[str, Any]) -> None:
    services = project["services"]
    assert set(services) == {"mi-postgres", "mi-aplicacion"}
    db, app = services["mi-postgres"], services["mi-aplicacion"]

    assert db["image"] == "composer-test/postgres:15"
    assert db["environment"] == {
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "local-example-password",
        "POSTGRES_DB": "Curso",
    }
    assert [(p["target"], str(p["published"])) for p in db["ports"]] == [(5432, "5433")]
    assert [(v["type"], v["source"], v["target"]) for v in db["volumes"]] == [
        ("volume", "postgres-data", "/var/lib/postgresql/data")
    ]
    assert db["healthcheck"]["test"][0] == "CMD-SHELL"
    assert "pg_isready" in db["healthcheck"]["test"][1]

    assert app["image"] == "composer-example/mi-aplicacion:latest"
    assert app["build"]["context"] == str(EXAMPLE / "standin")
    assert app["build"]["dockerfile"] == "Dockerfile"
    assert app["environment"] == {"Pgsql": EXPECTED_PGSQL}
    assert [(p["target"], str(p["published"])) for p in app["ports"]] == [
        (8080, "7263")
    ]
    assert app["depends_on"]["mi-postgres"]["condition"] == "service_healthy"
    assert app["restart"] == "unless-stopped"
    assert app["healthcheck"]["test"][:2] == ["CMD", "python3"]

    for service in (db, app):
        assert set(service["networks"]) == {"backend"}
    assert "postgres-data" in project["volumes"]
    assert "backend" in project["networks"]


@pytest.mark.parametrize("tool", [REFERENCE, COMPOSER], ids=["reference", "composer"])
def test_local_variant_loads_to_the_expected_project(
    tool: Path, tmp_path: Path
) -> None:
    result = _run(tool, [*LOCAL_FILES, "config", "--format", "json"], tmp_path)
    assert result.returncode == 0, result.stderr
    _check_local_project(json.loads(result.stdout))


def test_composer_and_reference_agree_on_the_local_variant(tmp_path: Path) -> None:
    args = [*LOCAL_FILES, "config", "--format", "json"]
    reference = _run(REFERENCE, args, tmp_path)
    ours = _run(COMPOSER, args, tmp_path)
    assert reference.returncode == 0, reference.stderr
    assert ours.returncode == 0, ours.stderr
    assert (
        json.loads(ours.stdout)["services"] == json.loads(reference.stdout)["services"]
    )


# ------------------------------------------------------------ the broken file


def _diagnostics(output: str) -> list[str]:
    """Split output into diagnostics: a line that is not indented starts one."""
    blocks: list[str] = []
    for line in output.splitlines():
        if blocks and (line[:1].isspace() or not line.strip()):
            blocks[-1] += "\n" + line
        elif line.strip():
            blocks.append(line)
    return blocks


def _one_naming(blocks: list[str], text: str) -> str:
    found = [block for block in blocks if text in block]
    assert found, f"no message names {text!r}:\n" + "\n".join(blocks)
    return found[0]


def _names_line(block: str, line: int) -> bool:
    """The message points at ``line``: ``file:LINE[:COL]`` or ``line LINE``."""
    return re.search(rf"(?:\bline\s+|:){line}(?!\d)", block) is not None


def test_broken_file_messages(tmp_path: Path) -> None:
    result = _run(COMPOSER, ["-f", "compose.broken.yaml", "config"], tmp_path)
    output = result.stdout + result.stderr

    assert result.returncode == 3, output
    assert "Traceback" not in output
    blocks = _diagnostics(output)

    unknown_key = _one_naming(blocks, "depends on")
    assert "depends_on" in unknown_key, unknown_key
    assert _names_line(unknown_key, 19), unknown_key

    obsolete = _one_naming(blocks, "version")
    assert "obsolete" in obsolete.lower(), obsolete
    assert _names_line(obsolete, 1), obsolete

    bad_variable = _one_naming(blocks, "POSTGRES DB")
    assert "POSTGRES_DB" in bad_variable, bad_variable
    assert _names_line(bad_variable, 10), bad_variable


def test_broken_file_once_depends_on_is_fixed(tmp_path: Path) -> None:
    # The second mistake only shows once the key is spelled right.
    work = tmp_path / "example"
    work.mkdir()
    text = (EXAMPLE / "compose.broken.yaml").read_text()
    fixed = text.replace("    depends on:\n", "    depends_on:\n")
    assert fixed != text
    (work / "compose.yaml").write_text(fixed)
    shutil.copy(EXAMPLE / "Dockerfile", work / "Dockerfile")

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    result = subprocess.run(
        [str(COMPOSER), "-f", "compose.yaml", "config"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    output = result.stdout + result.stderr

    assert result.returncode == 3, output
    assert "Traceback" not in output
    entry = _one_naming(_diagnostics(output), "Pgsql=Host")
    assert "environment" in entry, entry
    assert _names_line(entry, 21), entry
