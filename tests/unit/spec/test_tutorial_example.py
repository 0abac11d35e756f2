"""The tutorial file of issue 3 with its three mistakes gets exactly its messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.errors import ConfigError
from composer.spec import LoadOptions, load_project

TUTORIAL = """\
version: '3.8'
services:
  mi-postgres:
    image: postgres
    ports:
      - '5433:5432'
    environment:
      - POSTGRES_USER=postgres
      - POSTGRES_PASSWORD=password
      - POSTGRES DB=Curso
    volumes:
      - postgres-data:/var/lib/postgresql/data
  mi-aplicacion:
    build:
      context: .
      dockerfile: Dockerfile
    ports:
      - '7263:80'
    depends on:
      - mi-postgres
      - {connection}
volumes:
  postgres-data:
""".format(
    connection="Pgsql=Host=mi-postgres;Port=5432;Database=Curso;"
    "User Id=postgres;Password=password;"
)


def _diagnostics(root: Path, text: str) -> list[tuple[str, int | None, str]]:
    (root / "compose.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_project(LoadOptions(cwd=str(root), environ={"HOME": str(root)}))
    return [
        (d.severity, d.location.line, d.message + " " + (d.hint or ""))
        for d in err.value.diagnostics
    ]


def test_unknown_key_first(tmp_path: Path) -> None:
    """`depends on` is an unknown key (did you mean depends_on), plus 2 warnings."""
    found = _diagnostics(tmp_path, TUTORIAL)
    errors = [f for f in found if f[0] == "error"]
    assert len(errors) == 1
    assert errors[0][1] == 19
    assert "depends on" in errors[0][2] and "depends_on" in errors[0][2]
    warnings = {f[1]: f[2] for f in found if f[0] == "warning"}
    assert "version" in warnings[1] and "obsolete" in warnings[1]
    assert "POSTGRES DB" in warnings[10] and "POSTGRES_DB" in warnings[10]


def test_environment_entry_in_depends_on(tmp_path: Path) -> None:
    """Once fixed, the second depends_on entry asks whether environment: is missing."""
    found = _diagnostics(tmp_path, TUTORIAL.replace("depends on:", "depends_on:"))
    errors = [f for f in found if f[0] == "error"]
    assert len(errors) == 1
    assert errors[0][1] == 21
    assert "undefined service" in errors[0][2]
    assert "is `environment:` missing?" in errors[0][2]
    assert {f[1] for f in found if f[0] == "warning"} == {1, 10}
