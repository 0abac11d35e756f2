"""Remote ``include`` sources: Compose files published as OCI artifacts.

``oci://[REGISTRY/]REPOSITORY[:TAG][@DIGEST]`` names an artifact in a
registry, as ``docker compose publish`` makes it: an image manifest whose
``artifactType`` (or, in the OCI 1.0 form, whose config media type) says it is
a Compose project, with one layer per Compose file and optional layers of
environment files.  Names without a registry mean Docker Hub, as for images.

The manifest is read over the registry HTTP API (plain HTTP for a loopback
registry, HTTPS for any other) with the standard library; an anonymous
bearer token is asked for when the registry wants one, with the user and
password of ``~/.docker/config.json`` (``$DOCKER_CONFIG``) when that file
holds them inline.  The artifact is unpacked once into
``$XDG_CACHE_HOME/composer/oci/<manifest digest>`` and reused afterwards; a
reference by digest needs no network once cached.  Its Compose files are
included in their order, merged as several ``-f`` files are.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any

from composer.spec.remote import RemoteError, cache_base, is_oci

log = logging.getLogger(__name__)

PREFIX = "oci://"
__all__ = ["fetch_oci_include", "is_oci", "parse_reference"]
ENABLE_VARIABLE = "COMPOSE_EXPERIMENTAL_OCI_REMOTE"
PROJECT_TYPE = "application/vnd.docker.compose.project"
COMPOSE_FILE_TYPE = "application/vnd.docker.compose.file+yaml"
ENV_FILE_TYPE = "application/vnd.docker.compose.envfile"
#: The config media type of the OCI 1.0 form, which has no ``artifactType``.
EMPTY_CONFIG_TYPE = "application/vnd.docker.compose.config.empty.v1+json"
_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
_MANIFESTS = (_OCI_MANIFEST, _DOCKER_MANIFEST)
_INDEXES = (_OCI_INDEX, _DOCKER_LIST)
_FILE_ANNOTATION = "com.docker.compose.file"
_EXTENDS_ANNOTATION = "com.docker.compose.extends"
_ENV_ANNOTATION = "com.docker.compose.envfile"
_DOCKER_HUB = "docker.io"
_DOCKER_HUB_API = "registry-1.docker.io"
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
_FALSE = {"0", "f", "F", "false", "FALSE", "False"}
_TRUE = {"1", "t", "T", "true", "TRUE", "True"}
#: Larger manifests or files are refused: Compose artifacts are small.
_MAX_BYTES = 16 * 1024 * 1024
_TIMEOUT = 30.0


@dataclass(frozen=True)
class OciReference:
    """An artifact's registry, repository and tag or digest."""

    registry: str
    repository: str
    tag: str = "latest"
    digest: str = ""

    def __str__(self) -> str:
        at = f"@{self.digest}" if self.digest else ""
        return f"{self.registry}/{self.repository}:{self.tag}{at}"

    @property
    def wanted(self) -> str:
        """What the manifest is asked for by: the digest, else the tag."""
        return self.digest or self.tag


def parse_reference(path: str) -> OciReference:
    """The artifact an ``oci://`` include path names, checked for form."""
    rest = path.removeprefix(PREFIX)
    name, _, digest = rest.partition("@")
    tag = ""
    if name.rfind(":") > name.rfind("/"):
        name, _, tag = name.rpartition(":")
    first, slash, remainder = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, remainder
    else:
        registry, repository = _DOCKER_HUB, name
    if registry == _DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    bad = (
        not repository
        or not all(_COMPONENT.fullmatch(c) for c in repository.split("/"))
        or (tag and not _TAG.fullmatch(tag))
        or (digest and not _DIGEST.fullmatch(digest))
    )
    if bad:
        raise RemoteError(
            f"{path!r} is not a valid OCI reference",
            hint="write oci://REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]",
        )
    return OciReference(registry, repository, tag or "latest", digest)


def cache_root(environ: Mapping[str, str]) -> str:
    """Where unpacked artifacts are kept."""
    return os.path.join(cache_base(environ), "oci")


def fetch_oci_include(path: str, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The local Compose files of an ``oci://`` include, fetched if needed."""
    _check_enabled(environ)
    ref = parse_reference(path)
    if ref.digest:
        cached = _cached(environ, ref.digest)
        if cached:
            log.debug("remote include %s: using the cache", ref)
            return cached
    client = _Client(ref, environ)
    digest, manifest = _resolve(client, ref)
    cached = _cached(environ, digest)
    if cached:
        log.debug("remote include %s: %s is cached", ref, digest)
        return cached
    directory = os.path.join(cache_root(environ), digest.removeprefix("sha256:"))
    _unpack(client, ref, manifest, directory)
    files = _cached(environ, digest)
    if not files:
        raise RemoteError(f"{ref} holds no Compose file")
    return files


def _check_enabled(environ: Mapping[str, str]) -> None:
    value = environ.get(ENABLE_VARIABLE, "")
    if not value or value in _TRUE:
        return
    if value in _FALSE:
        raise RemoteError(f"OCI remote includes are disabled by {ENABLE_VARIABLE}")
    raise RemoteError(f"{ENABLE_VARIABLE} expects a boolean, got {value!r}")


def _cached(environ: Mapping[str, str], digest: str) -> tuple[str, ...]:
    """The Compose files of an unpacked artifact, in order; empty if absent."""
    directory = os.path.join(cache_root(environ), digest.removeprefix("sha256:"))
    try:
        with open(os.path.join(directory, ".compose-files"), encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        return ()
    return tuple(os.path.join(directory, name) for name in names)


def _resolve(client: _Client, ref: OciReference) -> tuple[str, dict[str, Any]]:
    """The digest and content of the Compose manifest ``ref`` names."""
    digest, manifest = client.manifest(ref.wanted)
    kind = str(manifest.get("mediaType") or "")
    if kind in _INDEXES or "manifests" in manifest:
        entries = [
            m
            for m in manifest.get("manifests") or ()
            if isinstance(m, dict) and m.get("artifactType") == PROJECT_TYPE
        ]
        if not entries:
            raise RemoteError(
                f"{ref} is an index of images, not a Compose artifact",
                hint="publish the Compose files with `docker compose publish`",
            )
        chosen = str(entries[0].get("digest"))
        if not _DIGEST.fullmatch(chosen):
            raise RemoteError(f"{ref} is an index with an entry of no sha256 digest")
        digest, manifest = client.manifest(chosen)
    _check_compose_artifact(ref, manifest)
    return digest, manifest


def _check_compose_artifact(ref: OciReference, manifest: Mapping[str, Any]) -> None:
    kind = str(manifest.get("mediaType") or _OCI_MANIFEST)
    config = manifest.get("config")
    config_type = str(config.get("mediaType")) if isinstance(config, dict) else ""
    artifact = str(manifest.get("artifactType") or "")
    if kind not in _MANIFESTS:
        found = f"a manifest of media type {kind}"
    elif artifact and artifact != PROJECT_TYPE:
        found = f"an artifact of type {artifact}"
    elif not artifact and config_type != EMPTY_CONFIG_TYPE:
        found = f"an image (config media type {config_type or 'none'})"
    else:
        return
    raise RemoteError(
        f"{ref} is {found}, not a Compose artifact ({PROJECT_TYPE})",
        hint="include an artifact made by `docker compose publish`",
    )


def _unpack(
    client: _Client, ref: OciReference, manifest: Mapping[str, Any], directory: str
) -> None:
    """Write the artifact's files into ``directory``, all or nothing."""
    parent = os.path.dirname(directory)
    os.makedirs(parent, mode=0o700, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".fetch-", dir=parent)
    try:
        compose: list[str] = []
        taken: set[str] = set()
        for layer in manifest.get("layers") or ():
            name = _layer_name(ref, layer, len(compose))
            if name is None:
                continue
            if name in taken:
                raise RemoteError(f"{ref} holds two files named {name!r}")
            taken.add(name)
            content = client.blob(str(layer.get("digest")))
            with open(os.path.join(work, name), "wb") as out:
                out.write(content)
            if _is_compose_file(layer):
                compose.append(name)
        with open(os.path.join(work, ".compose-files"), "w", encoding="utf-8") as f:
            f.write("".join(f"{name}\n" for name in compose))
        try:
            os.rename(work, directory)
        except OSError:
            if not os.path.isdir(directory):  # not merely unpacked by another run
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.debug("remote include %s: unpacked into %s", ref, directory)


def _is_compose_file(layer: Mapping[str, Any]) -> bool:
    annotations = layer.get("annotations") or {}
    return (
        layer.get("mediaType") == COMPOSE_FILE_TYPE
        and _EXTENDS_ANNOTATION not in annotations
    )


def _layer_name(ref: OciReference, layer: Any, index: int) -> str | None:
    """The file name a layer is written to; None for a layer that is skipped.

    The Compose files are ``compose.yaml``, ``compose-2.yaml``...; a file
    another one ``extends`` and an environment file keep their published
    names, which may not leave the artifact's directory.
    """
    if not isinstance(layer, dict) or not _DIGEST.fullmatch(str(layer.get("digest"))):
        raise RemoteError(f"{ref} has a layer without a sha256 digest")
    annotations = layer.get("annotations") or {}
    kind = layer.get("mediaType")
    if _is_compose_file(layer):
        return "compose.yaml" if index == 0 else f"compose-{index + 1}.yaml"
    if kind == COMPOSE_FILE_TYPE:
        name = str(annotations.get(_FILE_ANNOTATION) or "")
    elif kind == ENV_FILE_TYPE:
        name = str(annotations.get(_ENV_ANNOTATION) or "")
    else:
        log.debug("remote include %s: skipping a layer of type %s", ref, kind)
        return None
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise RemoteError(f"{ref} names a file {name!r} outside the artifact")
    if name.startswith(".compose-files"):
        raise RemoteError(f"{ref} names a reserved file {name!r}")
    return name


class _Client:
    """Just enough of the registry HTTP API to read one repository."""

    def __init__(self, ref: OciReference, environ: Mapping[str, str]) -> None:
        self.ref = ref
        host = _DOCKER_HUB_API if ref.registry == _DOCKER_HUB else ref.registry
        scheme = "http" if _is_loopback(host) else "https"
        self.base = f"{scheme}://{host}/v2/{ref.repository}"
        self.credentials = _credentials(ref.registry, environ)
        self.authorization: str | None = None

    def manifest(self, wanted: str) -> tuple[str, dict[str, Any]]:
        """The digest and parsed content of a manifest, by tag or digest."""
        accept = ", ".join((*_MANIFESTS, *_INDEXES))
        content, headers = self._get(f"/manifests/{wanted}", accept)
        digest = _digest_of(content)
        if _DIGEST.fullmatch(wanted) and digest != wanted:
            raise RemoteError(f"{self.ref}: the manifest does not match its digest")
        named = headers.get("Docker-Content-Digest")
        if named and _DIGEST.fullmatch(named) and named != digest:
            raise RemoteError(f"{self.ref}: the manifest does not match its digest")
        try:
            parsed = json.loads(content)
        except ValueError as exc:
            raise RemoteError(f"{self.ref}: the manifest is not JSON") from exc
        if not isinstance(parsed, dict):
            raise RemoteError(f"{self.ref}: the manifest is not a JSON object")
        served = str(headers.get("Content-Type") or "").split(";")[0].strip()
        if not parsed.get("mediaType") and served:
            parsed["mediaType"] = served
        return digest, parsed

    def blob(self, digest: str) -> bytes:
        """A blob's content, checked against its digest."""
        content, _ = self._get(f"/blobs/{digest}", "*/*")
        if _digest_of(content) != digest:
            raise RemoteError(f"{self.ref}: layer {digest[:19]} does not match")
        return content

    def _get(self, path: str, accept: str) -> tuple[bytes, Message]:
        try:
            return self._request(path, accept)
        except urllib.error.HTTPError as exc:
            if exc.code != 401 or self.authorization is not None:
                raise self._failure(exc) from exc
            self.authorization = self._authorize(exc.headers)
        try:
            return self._request(path, accept)
        except urllib.error.HTTPError as exc:
            raise self._failure(exc) from exc

    def _request(self, path: str, accept: str) -> tuple[bytes, Message]:
        headers = {"Accept": accept}
        if self.authorization:
            headers["Authorization"] = self.authorization
        request = urllib.request.Request(self.base + path, headers=headers)
        log.debug("GET %s", request.full_url)
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT) as answer:
                content: bytes = answer.read(_MAX_BYTES + 1)
                headers_in: Message = answer.headers
        except urllib.error.HTTPError:
            raise
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            if isinstance(reason, OSError) and reason.strerror:
                reason = reason.strerror.lower()
            raise RemoteError(
                f"cannot reach registry {self.ref.registry}: {reason}",
                hint="check the registry's address and that it runs",
            ) from exc
        if len(content) > _MAX_BYTES:
            raise RemoteError(f"{self.ref}: {path} is larger than {_MAX_BYTES} bytes")
        return content, headers_in

    def _authorize(self, headers: Message) -> str:
        """The Authorization header the registry's challenge asks for."""
        challenge = headers.get("WWW-Authenticate") or ""
        scheme, _, rest = challenge.partition(" ")
        if scheme.lower() == "basic":
            if self.credentials is None:
                raise RemoteError(
                    f"registry {self.ref.registry} wants a user and password",
                    hint="log in with `docker login`",
                )
            return f"Basic {self.credentials}"
        if scheme.lower() != "bearer":
            raise RemoteError(
                f"registry {self.ref.registry} asks for {scheme or 'an unknown'} "
                "authentication"
            )
        fields = dict(_CHALLENGE.findall(rest))
        query = {"scope": f"repository:{self.ref.repository}:pull"}
        if fields.get("service"):
            query["service"] = fields["service"]
        realm = fields.get("realm", "")
        if not realm.startswith(("https://", "http://")):
            raise RemoteError(f"registry {self.ref.registry} gave no token address")
        url = f"{realm}?{urllib.parse.urlencode(query)}"
        headers_out = {}
        if self.credentials:
            headers_out["Authorization"] = f"Basic {self.credentials}"
        try:
            request = urllib.request.Request(url, headers=headers_out)
            with urllib.request.urlopen(request, timeout=_TIMEOUT) as answer:
                token = json.loads(answer.read(_MAX_BYTES))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise RemoteError(
                f"cannot get a token from {urllib.parse.urlsplit(realm).netloc} "
                f"for {self.ref.registry}: {exc}"
            ) from exc
        value = token.get("token") or token.get("access_token")
        if not isinstance(value, str) or not value:
            raise RemoteError(f"registry {self.ref.registry} gave an empty token")
        return f"Bearer {value}"

    def _failure(self, exc: urllib.error.HTTPError) -> RemoteError:
        """A registry's refusal as a message naming what was missing."""
        codes = _error_codes(exc)
        if exc.code == 404 or {"MANIFEST_UNKNOWN", "NAME_UNKNOWN"} & codes:
            if "NAME_UNKNOWN" in codes:
                return RemoteError(
                    f"registry {self.ref.registry} has no repository "
                    f"{self.ref.repository}"
                )
            if "/blobs/" in exc.url:
                return RemoteError(f"{self.ref}: a layer is missing from the registry")
            what = "digest" if self.ref.digest else "tag"
            return RemoteError(
                f"{self.ref.repository} has no {what} {self.ref.wanted!r} in "
                f"registry {self.ref.registry}",
                hint="check the tag after ':' in the include path",
            )
        if exc.code in (401, 403):
            return RemoteError(
                f"registry {self.ref.registry} refused access to "
                f"{self.ref.repository} (HTTP {exc.code})",
                hint="log in with `docker login`",
            )
        return RemoteError(
            f"registry {self.ref.registry} answered HTTP {exc.code} {exc.reason}"
        )


def _error_codes(exc: urllib.error.HTTPError) -> set[str]:
    """The ``errors[].code`` values of a registry's error answer."""
    try:
        body = json.loads(exc.read(65536) or b"{}")
    except (ValueError, OSError):
        return set()
    errors = body.get("errors") if isinstance(body, dict) else None
    return {str(e.get("code")) for e in errors or () if isinstance(e, dict)}


def _digest_of(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def _is_loopback(host: str) -> bool:
    """Whether a registry host is this machine (served over plain HTTP)."""
    name = urllib.parse.urlsplit(f"//{host}").hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _credentials(registry: str, environ: Mapping[str, str]) -> str | None:
    """The base64 ``user:password`` for a registry in the Docker config file."""
    directory = environ.get("DOCKER_CONFIG") or os.path.join(
        environ.get("HOME") or os.path.expanduser("~"), ".docker"
    )
    try:
        with open(os.path.join(directory, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError):
        return None
    auths = config.get("auths") if isinstance(config, dict) else None
    if not isinstance(auths, dict):
        return None
    keys = [registry, f"https://{registry}", f"http://{registry}"]
    if registry == _DOCKER_HUB:
        keys.insert(0, "https://index.docker.io/v1/")
    for key in keys:
        entry = auths.get(key)
        if isinstance(entry, dict) and isinstance(entry.get("auth"), str):
            try:
                base64.b64decode(entry["auth"], validate=True)
            except ValueError:
                continue
            return str(entry["auth"])
    return None
