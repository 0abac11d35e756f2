"""Build contexts and image steps, without an engine (issue 9).

``.dockerignore`` matching, the build-input digest, the tarball sent to the
engine, and the planner's table of builds and pulls.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pytest

from composer.engine.context import (
    INLINE_DOCKERFILE,
    Ignore,
    Staleness,
    build_digest,
    context_files,
    context_tarball,
    resolve,
    staleness,
)
from composer.engine.labels import BUILD_DIGEST
from composer.engine.observe import Actual
from composer.engine.remote import GitContext, git_context, revision
from composer.graph import Desired, build_desired
from composer.plan import PlanOptions, plan
from composer.plan.images import BuildMode, ImageOptions, refresh_seconds
from composer.spec.project import Project

IGNORE_TABLE = [
    (["*.log"], "debug.log", True),
    (["*.log"], "sub/debug.log", False),
    (["**/*.log"], "sub/deep/debug.log", True),
    (["**/*.log"], "debug.log", True),
    (["build"], "build/out/x.o", True),
    (["/build/"], "build", True),
    (["node_modules"], "web/node_modules", False),
    (["*", "!keep.txt"], "keep.txt", False),
    (["*", "!keep.txt"], "other.txt", True),
    (["docs", "!docs/README.md"], "docs/README.md", False),
    (["docs", "!docs/README.md"], "docs/other.md", True),
    (["!x", "x"], "x", True),
    (["x", "!x"], "x", False),
    (["file?.txt"], "file1.txt", True),
    (["file?.txt"], "file10.txt", False),
    (["[ab].txt"], "a.txt", True),
    (["[!ab].txt"], "a.txt", False),
    (["# comment", "", "  spaced.txt  "], "spaced.txt", True),
    (["./dot/../top.txt"], "top.txt", True),
]


@pytest.mark.parametrize(("lines", "path", "excluded"), IGNORE_TABLE)
def test_dockerignore_rules(lines: list[str], path: str, excluded: bool) -> None:
    """Each pattern list excludes (or keeps) the path as the engine would."""
    assert Ignore(lines).excluded(path) is excluded


def _context(root: Path) -> Path:
    ctx = root / "ctx"
    (ctx / "src").mkdir(parents=True)
    (ctx / "scratch").mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox:local\nCOPY . /srv/\n")
    (ctx / "src" / "main.txt").write_text("main\n")
    (ctx / "scratch" / "tmp.txt").write_text("tmp\n")
    (ctx / "app.log").write_text("log\n")
    (ctx / ".dockerignore").write_text("scratch\n*.log\nDockerfile\n")
    return ctx


def test_context_files_honour_dockerignore(tmp_path: Path) -> None:
    """Excluded files are not sent; the Dockerfile and .dockerignore always are."""
    ctx = _context(tmp_path)
    sent = [rel for rel, _ in context_files(resolve({"context": str(ctx)}))]
    assert sorted(sent) == [".dockerignore", "Dockerfile", "src", "src/main.txt"]


def test_digest_follows_inputs_not_ignored_files(tmp_path: Path) -> None:
    """Only sent files, the Dockerfile, args and target change the digest."""
    ctx = _context(tmp_path)
    build: dict[str, Any] = {"context": str(ctx), "dockerfile": "Dockerfile"}
    first = build_digest(build)
    assert first.startswith("sha256:") and build_digest(build) == first

    (ctx / "scratch" / "tmp.txt").write_text("changed\n")
    (ctx / "new.log").write_text("more\n")
    assert build_digest(build) == first

    (ctx / "src" / "main.txt").write_text("main 2\n")
    second = build_digest(build)
    assert second != first
    (ctx / "src" / "main.txt").chmod(0o755)
    assert build_digest(build) != second

    assert build_digest({**build, "args": {"A": "1"}}) != build_digest(build)
    assert build_digest({**build, "target": "t"}) != build_digest(build)
    moved = tmp_path / "moved"
    ctx.rename(moved)
    assert build_digest({**build, "context": str(moved)}) == build_digest(
        {**build, "context": str(moved)}
    )


def test_inline_dockerfile_goes_into_the_tarball(tmp_path: Path) -> None:
    """``dockerfile_inline`` is sent under a generated name and digested."""
    ctx = tmp_path / "empty"
    ctx.mkdir()
    inline = {"context": str(ctx), "dockerfile_inline": "FROM busybox:local\n"}
    inputs = resolve(inline)
    assert inputs.dockerfile_in_tar == INLINE_DOCKERFILE
    with tarfile.open(fileobj=context_tarball(inputs)) as tar:
        names = tar.getnames()
        member = tar.extractfile(INLINE_DOCKERFILE)
        assert member is not None and member.read() == b"FROM busybox:local\n"
    assert names == [INLINE_DOCKERFILE]
    other = {**inline, "dockerfile_inline": "FROM busybox:local\nRUN true\n"}
    assert build_digest(other) != build_digest(inline)


def test_tarball_is_owned_by_root_and_filtered(tmp_path: Path) -> None:
    """Entries carry no local owner, and ignored files are absent."""
    inputs = resolve({"context": str(_context(tmp_path))})
    with tarfile.open(fileobj=context_tarball(inputs)) as tar:
        members = tar.getmembers()
    assert {m.uid for m in members} == {0}
    assert "app.log" not in {m.name for m in members}


def test_missing_dockerfile_is_a_config_error(tmp_path: Path) -> None:
    """A Dockerfile that is not there is reported by path."""
    from composer.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot read the Dockerfile"):
        build_digest({"context": str(tmp_path), "dockerfile": "Nope"})


# -- the planner's image steps ---------------------------------------------


def _desired(tmp_path: Path, services: dict[str, Any]) -> Desired:
    model: dict[str, Any] = {
        "name": "app",
        "services": services,
        "networks": {"default": {"name": "app_default"}},
    }
    for svc in services.values():
        svc.setdefault("networks", {"default": None})
        svc.setdefault("command", ["sleep", "3600"])
    project = Project("app", str(tmp_path), (str(tmp_path / "c.yaml"),), model)
    return build_desired(project, digest=lambda p: f"d:{p}")


def _actual(images: dict[str, tuple[str, dict[str, str], int]]) -> Actual:
    return Actual(
        "app",
        networks={},
        images={tag: ident for tag, (ident, _, _) in images.items()},
        image_labels={tag: labels for tag, (_, labels, _) in images.items()},
        image_created={tag: created for tag, (_, _, created) in images.items()},
    )


def _steps(state: Desired, actual: Actual, **opts: Any) -> list[tuple[str, str]]:
    result = plan(state, actual, PlanOptions(images=ImageOptions(**opts)))
    return [(s.action.value, s.name) for s in result.steps if s.kind.value == "image"]


def test_build_steps_table(tmp_path: Path) -> None:
    """Missing, stale, --build and --no-build decide the build steps."""
    ctx = _context(tmp_path)
    state = _desired(tmp_path, {"web": {"build": {"context": str(ctx)}}})
    node = state.services["web"]
    assert node.image == "app-web:latest"
    fresh = {BUILD_DIGEST: node.build_digest or ""}

    assert _steps(state, _actual({})) == [("build", "app-web:latest")]
    same = _actual({"app-web:latest": ("sha256:1", fresh, 0)})
    assert _steps(state, same) == []
    assert _steps(state, same, build=BuildMode.ALWAYS) == [("build", "app-web:latest")]
    stale = _actual({"app-web:latest": ("sha256:1", {BUILD_DIGEST: "sha256:0"}, 0)})
    assert _steps(state, stale) == [("build", "app-web:latest")]
    assert _steps(state, stale, build=BuildMode.NEVER) == []
    missing = plan(
        state, _actual({}), PlanOptions(images=ImageOptions(BuildMode.NEVER))
    )
    assert "--no-build" in missing.problems[0]


def test_pull_steps_table(tmp_path: Path) -> None:
    """pull_policy decides pulls; never with a missing image is a problem."""
    now = 1_000_000.0
    state = _desired(
        tmp_path,
        {
            "a": {"image": "img-a:1"},
            "b": {"image": "img-b:1", "pull_policy": "always"},
            "c": {"image": "img-c:1", "pull_policy": "daily"},
            "d": {"image": "img-d:1", "pull_policy": "every_2h"},
            "e": {"image": "img-e:1", "pull_policy": "never"},
        },
    )
    old = int(now) - 3 * 3600
    present = {
        f"img-{x}:1": ("sha256:" + x, {}, old) for x in ("a", "b", "c", "d", "e")
    }
    assert _steps(state, _actual(present), now=now) == [
        ("pull", "img-b:1"),
        ("pull", "img-d:1"),
    ]
    result = plan(state, _actual({}), PlanOptions(images=ImageOptions(now=now)))
    pulled = [s.name for s in result.steps if s.kind.value == "image"]
    assert pulled == ["img-a:1", "img-b:1", "img-c:1", "img-d:1"]
    assert "pull_policy is never" in result.problems[0]
    assert refresh_seconds("every_1w2d") == 9 * 86400
    assert refresh_seconds("weekly") == 7 * 86400
    assert refresh_seconds("every_") is None


REMOTE_DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("recorded", "current", "expected"),
    [
        (None, "sha256:1", Staleness.CHANGED),
        ("sha256:1", "sha256:1", Staleness.SAME),
        ("sha256:1", "sha256:2", Staleness.CHANGED),
        (f"{REMOTE_DIGEST}+git:c1", f"{REMOTE_DIGEST}+git:c1", Staleness.SAME),
        (f"{REMOTE_DIGEST}+git:c1", f"{REMOTE_DIGEST}+git:c2", Staleness.CHANGED),
        (f"{REMOTE_DIGEST}+git:c1", f"{REMOTE_DIGEST}+unknown", Staleness.UNKNOWN),
        (f"{REMOTE_DIGEST}+unknown", f"{REMOTE_DIGEST}+unknown", Staleness.UNKNOWN),
        (f"{REMOTE_DIGEST}+unknown", f"{REMOTE_DIGEST}+git:c1", Staleness.CHANGED),
        ("sha256:b+git:c1", f"{REMOTE_DIGEST}+unknown", Staleness.CHANGED),
    ],
)
def test_staleness_of_recorded_digests(
    recorded: str | None, current: str, expected: Staleness
) -> None:
    assert staleness(recorded, current) is expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("https://h/r.git", GitContext("https://h/r.git")),
        ("https://h/r.git#main:app", GitContext("https://h/r.git", "main", "app")),
        ("http://h/r.git#v1", GitContext("http://h/r.git", "v1")),
        ("git@h:o/r#:sub", GitContext("git@h:o/r", None, "sub")),
        ("github.com/o/r", GitContext("https://github.com/o/r")),
        ("https://h/ctx.tar.gz", None),
        ("https://h/Dockerfile", None),
    ],
)
def test_git_contexts(address: str, expected: GitContext | None) -> None:
    assert git_context(address) == expected


def test_a_commit_id_ref_needs_no_lookup() -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    assert revision(f"https://nowhere.invalid/r.git#{commit}") == commit
    assert revision("https://h/ctx.tar") is None


def test_an_unreachable_repository_has_no_revision(tmp_path: Path) -> None:
    assert revision(f"http://127.0.0.1:9/{tmp_path.name}.git#main") is None
    digest = build_digest({"context": "http://127.0.0.1:9/r.git#main"})
    assert digest.endswith("+unknown")
