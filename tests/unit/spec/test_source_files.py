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


def _busybox(**services: str) -> str:
    """``services:`` of busybox services; each value is more keys, one a line."""
    text = "services:\n"
    for name, keys in services.items():
        text += f"  {name}:\n    image: busybox\n"
        text += "".join(f"    {line}\n" for line in keys.splitlines())
    return text


def _sources(
    root: Path, files: dict[str, str], **options: object
) -> tuple[Project, set[str]]:
    """Write ``files`` under ``root``, load the project, name its sources."""
    _write(root, files)
    project = _load(root, **options)
    return project, _names(root, project)


def test_compose_file_and_its_override(tmp_path: Path) -> None:
    """Both discovered files are named, with absolute paths."""
    _, names = _sources(
        tmp_path,
        {
            "compose.yaml": _busybox(web=""),
            "compose.override.yaml": "services:\n  web:\n    tty: true\n",
        },
    )
    assert names == {"compose.yaml", "compose.override.yaml"}


def test_extends_and_include_targets(tmp_path: Path) -> None:
    """A file reached through extends or include is a source."""
    _, names = _sources(
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
    assert {"compose.yaml", "base/common.yaml", "lib/compose.yaml"} <= names


def test_default_env_file_only_when_it_exists(tmp_path: Path) -> None:
    """The project's .env is a source when there is one."""
    _, names = _sources(tmp_path, {"compose.yaml": _busybox(web="")})
    assert ".env" not in names
    _, names = _sources(tmp_path, {".env": "TAG=1\n"})
    assert ".env" in names


def test_env_file_options_replace_the_default(tmp_path: Path) -> None:
    """Every --env-file is named (relative to cwd); the unused .env is not."""
    _, names = _sources(
        tmp_path,
        {
            "compose.yaml": "services:\n  web:\n    image: busybox:${TAG}\n",
            ".env": "TAG=default\n",
            "envs/a.env": "TAG=a\n",
            "envs/b.env": "TAG=b\n",
        },
        env_files=("envs/a.env", "envs/b.env"),
    )
    assert {"envs/a.env", "envs/b.env"} <= names
    assert ".env" not in names
    from_variable = _load(tmp_path, environ={"COMPOSE_ENV_FILES": "envs/b.env"})
    assert "envs/b.env" in _names(tmp_path, from_variable)


def test_service_env_files_in_every_syntax(tmp_path: Path) -> None:
    """Short and long env_file entries, also an optional one not written yet."""
    project, names = _sources(
        tmp_path,
        {
            "compose.yaml": _busybox(
                web="env_file: conf/short.env",
                api="env_file:\n"
                "  - path: conf/long.env\n"
                "  - path: conf/later.env\n"
                "    required: false",
            ),
            "conf/short.env": "A=1\n",
            "conf/long.env": "B=2\n",
        },
    )
    expected = {"conf/short.env", "conf/long.env", "conf/later.env"}
    assert expected <= names
    assert {os.path.relpath(p, tmp_path) for p in project.env_files} == expected


def test_label_files(tmp_path: Path) -> None:
    """A label_file is read at load time, so it is a source."""
    project, names = _sources(
        tmp_path,
        {
            "compose.yaml": _busybox(web="label_file: [labels/web.labels]"),
            "labels/web.labels": "team=core\n",
        },
    )
    assert "labels/web.labels" in names
    assert project.env_files == ()


def test_secret_and_config_files(tmp_path: Path) -> None:
    """The file behind each used secret and config is a source."""
    _, names = _sources(
        tmp_path,
        {
            "compose.yaml": (
                _busybox(web="secrets: [token]\nconfigs: [site]") + "secrets:\n"
                "  token: {file: ./secret/token.txt}\n"
                "configs:\n"
                "  site: {file: ./conf/site.conf}\n"
            ),
            "secret/token.txt": "t",
            "conf/site.conf": "c",
        },
    )
    assert {"secret/token.txt", "conf/site.conf"} <= names


@pytest.mark.parametrize(
    ("include", "env_file", "tag"),
    [
        (
            "  - path: lib/compose.yaml\n    env_file: lib/vars.env\n",
            "lib/vars.env",
            "16",
        ),
        ("  - lib/compose.yaml\n", "lib/.env", "15"),
    ],
    ids=["own-env-file", "project-directory-env"],
)
def test_include_env_files(
    tmp_path: Path, include: str, env_file: str, tag: str
) -> None:
    """An include reads its own env_file, else its project directory's .env."""
    project, names = _sources(
        tmp_path,
        {
            "compose.yaml": f"include:\n{include}services: {{}}\n",
            "lib/compose.yaml": "services:\n  db:\n    image: postgres:${PG}\n",
            "lib/vars.env": "PG=16\n",
            "lib/.env": "PG=15\n",
        },
    )
    assert env_file in names
    assert project.services["db"]["image"] == f"postgres:{tag}"


def test_early_env_that_names_the_compose_file(tmp_path: Path) -> None:
    """A .env read to find COMPOSE_FILE is a source."""
    _, names = _sources(
        tmp_path,
        {
            ".env": "COMPOSE_FILE=deploy/app.yaml\n",
            "deploy/app.yaml": "services:\n  web:\n    image: busybox\n",
        },
    )
    assert {".env", "deploy/app.yaml"} <= names


@pytest.mark.parametrize("profiles", [(), ("debug",)])
def test_only_enabled_services_contribute(
    tmp_path: Path, profiles: tuple[str, ...]
) -> None:
    """A service disabled by a profile reads no env_file, so names none."""
    _, names = _sources(
        tmp_path,
        {
            "compose.yaml": _busybox(
                web="",
                debug="profiles: [debug]\n"
                "env_file: [{path: debug.env, required: false}]",
            ),
        },
        profiles=profiles,
    )
    assert ("debug.env" in names) is bool(profiles)


def test_stdin_is_not_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project read from standard input names no ``-`` entry."""
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("services:\n  w:\n    image: a\n"))
    project = _load(tmp_path, files=("-",))
    assert "-" not in project.source_files
