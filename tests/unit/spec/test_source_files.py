"""Project.source_files names every file the project was loaded from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from composer.spec import LoadOptions, Project, load_project


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _load(root: Path, **options: object) -> Project:
    environ = options.pop("environ", {})
    return load_project(
        LoadOptions(cwd=str(root), environ=environ, **options)  # type: ignore[arg-type]
    )


def _names(root: Path, project: Project) -> set[str]:
    """The source files relative to ``root``; every one must be absolute."""
    assert all(os.path.isabs(path) for path in project.source_files)
    return {os.path.relpath(path, root) for path in project.source_files}


def test_compose_file_and_its_override(tmp_path: Path) -> None:
    """Both discovered files are named, with absolute paths."""
    _write(
        tmp_path,
        {
            "compose.yaml": "services:\n  web:\n    image: busybox\n",
            "compose.override.yaml": "services:\n  web:\n    tty: true\n",
        },
    )
    project = _load(tmp_path)
    assert _names(tmp_path, project) == {"compose.yaml", "compose.override.yaml"}


def test_extends_and_include_targets(tmp_path: Path) -> None:
    """A file reached through extends or include is a source."""
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "include: [lib/compose.yaml]\n"
                "services:\n"
                "  web:\n"
                "    extends: {file: base/common.yaml, service: base}\n"
            ),
            "base/common.yaml": "services:\n  base:\n    image: busybox\n",
            "lib/compose.yaml": "services:\n  db:\n    image: postgres\n",
        },
    )
    names = _names(tmp_path, _load(tmp_path))
    assert {"compose.yaml", "base/common.yaml", "lib/compose.yaml"} <= names


def test_default_env_file_only_when_it_exists(tmp_path: Path) -> None:
    """The project's .env is a source when there is one."""
    _write(tmp_path, {"compose.yaml": "services:\n  web:\n    image: busybox\n"})
    assert ".env" not in _names(tmp_path, _load(tmp_path))
    _write(tmp_path, {".env": "TAG=1\n"})
    assert ".env" in _names(tmp_path, _load(tmp_path))


def test_env_file_options_replace_the_default(tmp_path: Path) -> None:
    """Every --env-file is named (relative to cwd); the unused .env is not."""
    _write(
        tmp_path,
        {
            "compose.yaml": "services:\n  web:\n    image: busybox:${TAG}\n",
            ".env": "TAG=default\n",
            "envs/a.env": "TAG=a\n",
            "envs/b.env": "TAG=b\n",
        },
    )
    project = _load(tmp_path, env_files=("envs/a.env", "envs/b.env"))
    names = _names(tmp_path, project)
    assert {"envs/a.env", "envs/b.env"} <= names
    assert ".env" not in names
    from_variable = _load(tmp_path, environ={"COMPOSE_ENV_FILES": "envs/b.env"})
    assert "envs/b.env" in _names(tmp_path, from_variable)


def test_service_env_files_in_every_syntax(tmp_path: Path) -> None:
    """Short and long env_file entries, also an optional one not written yet."""
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n"
                "  web:\n"
                "    image: busybox\n"
                "    env_file: conf/short.env\n"
                "  api:\n"
                "    image: busybox\n"
                "    env_file:\n"
                "      - path: conf/long.env\n"
                "      - path: conf/later.env\n"
                "        required: false\n"
            ),
            "conf/short.env": "A=1\n",
            "conf/long.env": "B=2\n",
        },
    )
    project = _load(tmp_path)
    expected = {"conf/short.env", "conf/long.env", "conf/later.env"}
    assert expected <= _names(tmp_path, project)
    assert {os.path.relpath(p, tmp_path) for p in project.env_files} == expected


def test_label_files(tmp_path: Path) -> None:
    """A label_file is read at load time, so it is a source."""
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n"
                "  web:\n"
                "    image: busybox\n"
                "    label_file: [labels/web.labels]\n"
            ),
            "labels/web.labels": "team=core\n",
        },
    )
    project = _load(tmp_path)
    assert "labels/web.labels" in _names(tmp_path, project)
    assert project.env_files == ()


def test_secret_and_config_files(tmp_path: Path) -> None:
    """The file behind each used secret and config is a source."""
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n"
                "  web:\n"
                "    image: busybox\n"
                "    secrets: [token]\n"
                "    configs: [site]\n"
                "secrets:\n"
                "  token: {file: ./secret/token.txt}\n"
                "configs:\n"
                "  site: {file: ./conf/site.conf}\n"
            ),
            "secret/token.txt": "t",
            "conf/site.conf": "c",
        },
    )
    names = _names(tmp_path, _load(tmp_path))
    assert {"secret/token.txt", "conf/site.conf"} <= names


def test_include_env_file(tmp_path: Path) -> None:
    """An include's own env_file is read for the included project."""
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "include:\n"
                "  - path: lib/compose.yaml\n"
                "    env_file: lib/vars.env\n"
                "services: {}\n"
            ),
            "lib/compose.yaml": "services:\n  db:\n    image: postgres:${PG}\n",
            "lib/vars.env": "PG=16\n",
        },
    )
    project = _load(tmp_path)
    assert "lib/vars.env" in _names(tmp_path, project)
    assert project.services["db"]["image"] == "postgres:16"


def test_include_project_directory_env(tmp_path: Path) -> None:
    """Without env_file, an include reads its project directory's .env."""
    _write(
        tmp_path,
        {
            "compose.yaml": "include: [lib/compose.yaml]\nservices: {}\n",
            "lib/compose.yaml": "services:\n  db:\n    image: postgres:${PG}\n",
            "lib/.env": "PG=15\n",
        },
    )
    project = _load(tmp_path)
    assert "lib/.env" in _names(tmp_path, project)
    assert project.services["db"]["image"] == "postgres:15"


def test_early_env_that_names_the_compose_file(tmp_path: Path) -> None:
    """A .env read to find COMPOSE_FILE is a source."""
    _write(
        tmp_path,
        {
            ".env": "COMPOSE_FILE=deploy/app.yaml\n",
            "deploy/app.yaml": "services:\n  web:\n    image: busybox\n",
        },
    )
    names = _names(tmp_path, _load(tmp_path))
    assert {".env", "deploy/app.yaml"} <= names


@pytest.mark.parametrize("profiles", [(), ("debug",)])
def test_only_enabled_services_contribute(
    tmp_path: Path, profiles: tuple[str, ...]
) -> None:
    """A service disabled by a profile reads no env_file, so names none."""
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n"
                "  web:\n"
                "    image: busybox\n"
                "  debug:\n"
                "    image: busybox\n"
                "    profiles: [debug]\n"
                "    env_file: [{path: debug.env, required: false}]\n"
            ),
        },
    )
    names = _names(tmp_path, _load(tmp_path, profiles=profiles))
    assert ("debug.env" in names) is bool(profiles)


def test_stdin_is_not_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project read from standard input names no ``-`` entry."""
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("services:\n  w:\n    image: a\n"))
    project = _load(tmp_path, files=("-",))
    assert "-" not in project.source_files
