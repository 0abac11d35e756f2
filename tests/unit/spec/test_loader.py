"""load_project end to end on small projects written to a temporary directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from composer.errors import ConfigError
from composer.spec import LoadOptions, Project, load_project


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _load(root: Path, env: dict[str, str] | None = None, **kw: object) -> Project:
    options = LoadOptions(cwd=str(root), environ=env or {"HOME": "/home/u"}, **kw)  # type: ignore[arg-type]
    return load_project(options)


def _errors(root: Path, **kw: object) -> str:
    with pytest.raises(ConfigError) as err:
        _load(root, **kw)
    return err.value.render()


def test_default_file_and_override_are_found_from_a_subdirectory(
    tmp_path: Path,
) -> None:
    """compose.yaml and compose.override.yaml are found in a parent directory."""
    _write(
        tmp_path / "My Proj",
        {
            "compose.yaml": "services:\n  web:\n    image: a\n",
            "compose.override.yaml": "services:\n  web:\n    image: b\n",
            "sub/x.txt": "",
        },
    )
    project = _load(tmp_path / "My Proj" / "sub")
    assert project.name == "myproj"
    assert project.services["web"]["image"] == "b"
    assert len(project.config_files) == 2


def test_project_name_precedence(tmp_path: Path) -> None:
    """-p beats COMPOSE_PROJECT_NAME beats name: beats the directory."""
    _write(
        tmp_path, {"compose.yaml": "name: fromfile\nservices:\n  s:\n    image: a\n"}
    )
    assert _load(tmp_path).name == "fromfile"
    env = {"COMPOSE_PROJECT_NAME": "fromenv"}
    assert _load(tmp_path, env).name == "fromenv"
    assert _load(tmp_path, env, project_name="flag").name == "flag"


def test_invalid_explicit_project_name(tmp_path: Path) -> None:
    """An explicit name with capitals is refused."""
    _write(tmp_path, {"compose.yaml": "services:\n  s:\n    image: a\n"})
    assert "invalid project name" in _errors(tmp_path, project_name="Bad")


def test_normalised_shape(tmp_path: Path) -> None:
    """Short syntax becomes the long form Compose prints."""
    _write(
        tmp_path / "p",
        {
            "compose.yaml": (
                "services:\n"
                "  web:\n"
                "    build: ./app\n"
                "    ports: ['8080:80']\n"
                "    environment: [A=1, B]\n"
                "    volumes: ['./d:/d:ro', 'v:/v']\n"
                "    depends_on: [db]\n"
                "    healthcheck: {test: curl x, interval: 90s}\n"
                "  db:\n"
                "    image: postgres\n"
                "volumes:\n"
                "  v:\n"
            )
        },
    )
    model = _load(tmp_path / "p").model
    web = model["services"]["web"]
    base = str(tmp_path / "p")
    assert web["build"] == {"context": f"{base}/app", "dockerfile": "Dockerfile"}
    assert web["ports"] == [
        {"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}
    ]
    assert web["environment"] == {"A": "1", "B": None}
    assert web["volumes"][0]["source"] == f"{base}/d"
    assert web["volumes"][0]["read_only"] is True
    assert web["depends_on"] == {
        "db": {"condition": "service_started", "required": True}
    }
    assert web["healthcheck"] == {"test": ["CMD-SHELL", "curl x"], "interval": "1m30s"}
    assert web["networks"] == {"default": None}
    assert model["networks"]["default"]["name"] == "p_default"
    assert model["volumes"]["v"]["name"] == "p_v"


def test_shell_wins_over_dotenv_and_env_file(tmp_path: Path) -> None:
    """Interpolation reads .env, but the shell's value wins."""
    _write(
        tmp_path,
        {
            ".env": "TAG=fromdotenv\nOTHER=o\n",
            "app.env": "K=v\n",
            "compose.yaml": (
                "services:\n  s:\n    image: x:${TAG}-${OTHER}\n"
                "    env_file: [app.env, {path: missing.env, required: false}]\n"
            ),
        },
    )
    project = _load(tmp_path, {"TAG": "shell"})
    assert project.services["s"]["image"] == "x:shell-o"
    assert project.services["s"]["environment"] == {"K": "v"}


def test_merge_extends_and_reset(tmp_path: Path) -> None:
    """Files merge by rule; extends from another file resolves its paths."""
    _write(
        tmp_path,
        {
            "base/common.yaml": (
                "services:\n  b:\n    build: ./ctx\n    labels: {a: '1'}\n"
            ),
            "compose.yaml": (
                "services:\n  s:\n    extends: {file: base/common.yaml, service: b}\n"
                "    labels: {c: '2'}\n    command: one\n    ports: ['1:1']\n"
            ),
            "over.yaml": "services:\n  s:\n    command: two\n    ports: !reset []\n",
        },
    )
    project = _load(tmp_path, files=("compose.yaml", "over.yaml"))
    svc = project.services["s"]
    assert svc["build"]["context"] == str(tmp_path / "base" / "ctx")
    assert svc["labels"] == {"a": "1", "c": "2"}
    assert svc["command"] == ["two"]
    assert "ports" not in svc


def test_include(tmp_path: Path) -> None:
    """An included project's services join the model with their own paths."""
    _write(
        tmp_path,
        {
            "lib/compose.yaml": "services:\n  db:\n    build: .\n",
            "compose.yaml": (
                "include: [lib/compose.yaml]\nservices:\n  s:\n    image: a\n"
            ),
        },
    )
    project = _load(tmp_path)
    assert project.services["db"]["build"]["context"] == str(tmp_path / "lib")


def test_profiles_and_selection(tmp_path: Path) -> None:
    """Profiles enable services; naming a service enables it."""
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  a:\n    image: a\n"
                "  d:\n    image: d\n    profiles: [dev]\n"
            )
        },
    )
    assert set(_load(tmp_path).services) == {"a"}
    assert set(_load(tmp_path, profiles=("dev",)).services) == {"a", "d"}
    assert set(_load(tmp_path, {"COMPOSE_PROFILES": "dev"}).services) == {"a", "d"}
    assert set(_load(tmp_path, services=("d",)).services) == {"d"}
    assert _load(tmp_path).all_profiles == ("dev",)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("  a:\n    image: a\n    links: [zz]\n", ["undefined service", "zz", ":4:"]),
        ("  a:\n    image: a\n    networks: [n]\n", ["undefined network n"]),
        ("  a:\n    image: a\n    volumes: ['v:/v']\n", ["undefined volume v"]),
        ("  a:\n    image: a\n    secrets: [s]\n", ["undefined secret s"]),
        (
            "  a:\n    image: a\n    network_mode: service:q\n",
            ["undefined service", "q"],
        ),
        (
            "  a:\n    image: a\n    depends_on: [b]\n  b:\n    image: b\n"
            "    depends_on: [a]\n",
            ["dependency cycle detected: a -> b -> a"],
        ),
        (
            "  a:\n    image: a\n    depends_on: [X=1]\n",
            ["is `environment:` missing?"],
        ),
    ],
)
def test_consistency_errors(tmp_path: Path, body: str, words: list[str]) -> None:
    """Each broken reference is an error naming what and where."""
    _write(tmp_path, {"compose.yaml": "services:\n" + body})
    text = _errors(tmp_path)
    for word in words:
        assert word in text


def test_optional_dependency_disabled_by_profile_only_warns(tmp_path: Path) -> None:
    """required: false tolerates a disabled service, not an undefined one."""
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  a:\n    image: a\n    depends_on:\n"
                "      off: {condition: service_started, required: false}\n"
                "  off:\n    image: o\n    profiles: [p]\n"
            )
        },
    )
    project = _load(tmp_path)
    assert any("off" in w.message for w in project.warnings)
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  a:\n    image: a\n    depends_on:\n"
                "      gone: {condition: service_started, required: false}\n"
            )
        },
    )
    assert 'undefined service "gone"' in _errors(tmp_path)


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    """An empty file and a top-level list are clean errors."""
    _write(tmp_path, {"compose.yaml": ""})
    assert "empty compose file" in _errors(tmp_path)
    _write(tmp_path, {"compose.yaml": "- a\n"})
    assert "must be a mapping" in _errors(tmp_path)


def test_no_files_found(tmp_path: Path) -> None:
    """Without any Compose file the error says so."""
    assert "no configuration file" in _errors(tmp_path)


def test_compose_file_variable(tmp_path: Path) -> None:
    """COMPOSE_FILE lists files separated by the path separator."""
    _write(
        tmp_path,
        {
            "one.yml": "services:\n  a:\n    image: a\n",
            "two.yml": "services:\n  a:\n    image: b\n",
        },
    )
    project = _load(tmp_path, {"COMPOSE_FILE": f"one.yml{os.pathsep}two.yml"})
    assert project.services["a"]["image"] == "b"


def test_include_and_extends_cycles(tmp_path: Path) -> None:
    """Cycles in include and extends are errors, not hangs."""
    _write(tmp_path, {"compose.yaml": "include: [compose.yaml]\nservices: {}\n"})
    assert "include cycle" in _errors(tmp_path)
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  a:\n    extends: b\n    image: x\n"
                "  b:\n    extends: a\n    image: y\n"
            )
        },
    )
    assert "circular extends" in _errors(tmp_path)


def test_required_variable_and_bad_template(tmp_path: Path) -> None:
    """A missing required variable names it; a bad ${ names the key."""
    _write(tmp_path, {"compose.yaml": "services:\n  s:\n    image: ${IMG:?set it}\n"})
    assert "required variable IMG is missing a value: set it" in _errors(tmp_path)
    _write(tmp_path, {"compose.yaml": "services:\n  s:\n    image: a\nx-bad: ${\n"})
    text = _errors(tmp_path)
    assert "interpolation" in text and "x-bad" in text


def test_missing_extends_file_is_reported_where_it_is_named(tmp_path: Path) -> None:
    """The error names the referencing file, line, column and key path."""
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  a:\n    image: x\n"
                "    extends:\n      service: b\n      file: nope.yaml\n"
            )
        },
    )
    text = _errors(tmp_path)
    assert text.startswith(f"{tmp_path / 'compose.yaml'}:6:7"), text
    assert "services.a.extends.file" in text
    assert "nope.yaml" in text


def test_unset_variable_warning_points_at_the_value(tmp_path: Path) -> None:
    """C112 names the file, line, column and key of the first value using it."""
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  web:\n    image: busybox\n    environment:\n"
                "      A: ${NOPE_ONE}\n"
                '    command: ["echo", "$NOPE_TWO", "$NOPE_ONE"]\n'
            )
        },
    )
    project = _load(tmp_path, env={})
    found = {w.message.split('"')[1]: w for w in project.warnings if w.code == "C112"}
    one, two = found["NOPE_ONE"], found["NOPE_TWO"]
    assert (one.location.line, one.location.column) == (5, 7)
    assert one.key == "services.web.environment.A"
    assert (two.location.line, two.location.column) == (6, 23)
    assert two.key == "services.web.command[1]"
    assert str(one.location.file).endswith("compose.yaml")
    assert one.render().startswith(str(one.location.file) + ":5:7: warning C112 at ")
