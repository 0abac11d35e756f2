"""Remote build contexts against a real engine (issue 9).

The engine's classic builder fetches a git context itself and only takes
``http(s)://…​.git``, ``git://``, ``git@`` and ``github.com/`` addresses, not
``file://`` or a path; so the bare repository is served over git's "dumb"
HTTP protocol from a local web server, which both the engine (same host) and
``git ls-remote`` understand.  A tarball URL has no revision: `diff` says its
staleness is unknown.
"""

from __future__ import annotations

import functools
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import docker
import pytest
from reconcile_support import Deployment, cleanup, deployment_fixture  # noqa: F401
from test_build import remove_built_images
from test_gitops_sync import Repo

DOCKERFILE = 'FROM busybox:local\nCOPY . /srv/\nCMD ["sleep", "3600"]\n'


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test's output clean."""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory served over HTTP on 127.0.0.1, and its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def built(deployment: Deployment) -> Iterator[Deployment]:
    """A deployment whose built images are removed afterwards."""
    yield deployment
    cleanup(deployment.name)
    remove_built_images(deployment.name)


def _push(repo: Repo, version: str) -> str:
    commit = repo.commit(
        {"app/Dockerfile": DOCKERFILE, "app/version.txt": version}, version
    )
    subprocess.run(
        ["git", "--git-dir", str(repo.bare), "update-server-info"], check=True
    )
    return commit


def _cat(dep: Deployment, service: str) -> str:
    container = docker.from_env().containers.get(f"{dep.name}-{service}-1")
    code, out = container.exec_run(["cat", "/srv/version.txt"])
    assert code == 0, out
    return bytes(out).decode()


def test_a_new_commit_makes_a_git_context_stale(
    built: Deployment, served: tuple[Path, str], tmp_path: Path
) -> None:
    dep = built
    root, base = served
    repo = Repo(root)  # the bare repository is root/remote.git
    first = _push(repo, "one\n")
    dep.write(
        f"""
name: @P@
services:
  app:
    build: {base}/remote.git#main:deploy/app
    stop_signal: SIGKILL
"""
    )
    dep.up()
    assert _cat(dep, "app") == "one\n"
    label = docker.from_env().images.get(f"{dep.name}-app").labels
    assert label["composer.build-digest"].endswith(f"+git:{first}")
    dep.assert_converged()

    _push(repo, "two\n")
    shown = dep.run("diff", "--exit-code", ok=False)
    assert shown.returncode == 2, shown.stdout
    assert "build context changed" in shown.stdout
    assert f"git:{first[:12]}" in shown.stdout
    dep.up()
    assert _cat(dep, "app") == "two\n"
    dep.assert_converged()


def test_a_tarball_context_has_unknown_staleness(
    built: Deployment, served: tuple[Path, str], tmp_path: Path
) -> None:
    dep = built
    root, base = served
    source = tmp_path / "ctx"
    source.mkdir()
    (source / "Dockerfile").write_text(DOCKERFILE)
    (source / "version.txt").write_text("tarred\n")
    with tarfile.open(root / "ctx.tar", "w") as tar:
        for path in sorted(source.iterdir()):
            tar.add(path, arcname=path.name)
    dep.write(
        f"""
name: @P@
services:
  app:
    build: {base}/ctx.tar
    stop_signal: SIGKILL
"""
    )
    dep.up()
    assert _cat(dep, "app") == "tarred\n"
    shown = dep.run("diff", "--exit-code")
    said = " ".join((shown.stdout + shown.stderr).split())
    assert "ctx.tar, which cannot be resolved to a revision" in said
    assert "is stale is unknown" in said
    warned = dep.diff_json()["warnings"]
    assert any("is stale is unknown" in w for w in warned), warned
    dep.assert_converged()
