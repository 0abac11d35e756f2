"""Just enough of the registry HTTP API to read an OCI artifact, stdlib only.

A reference is parsed by Docker's rules (no registry means Docker Hub, a
single-component name there means ``library/NAME``, ``latest`` is the default
tag).  The client reads manifests and blobs of one repository, checks every
content against its sha256 digest, talks plain HTTP to a loopback registry
and HTTPS to any other, and answers a registry's ``401`` once: with a bearer
token from the realm it names (anonymous, or with the user and password of
an inline ``auth`` in ``$DOCKER_CONFIG/config.json``) or with basic
authentication.  Failures become :class:`RemoteError` messages that name the
registry, the repository and the tag.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any

from composer.spec.remote import RemoteError

log = logging.getLogger(__name__)

PREFIX = "oci://"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEXES = (OCI_INDEX, DOCKER_LIST)
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_DOCKER_HUB = "docker.io"
_DOCKER_HUB_API = "registry-1.docker.io"
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
#: Larger manifests or blobs are refused: Compose artifacts are small.
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
        or (digest and not DIGEST.fullmatch(digest))
    )
    if bad:
        raise RemoteError(
            f"{path!r} is not a valid OCI reference",
            hint="write oci://REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]",
        )
    return OciReference(registry, repository, tag or "latest", digest)


class RegistryClient:
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
        accept = ", ".join((*MANIFESTS, *INDEXES))
        content, headers = self._get(f"/manifests/{wanted}", accept)
        digest = digest_of(content)
        if DIGEST.fullmatch(wanted) and digest != wanted:
            raise RemoteError(f"{self.ref}: the manifest does not match its digest")
        named = headers.get("Docker-Content-Digest")
        if named and DIGEST.fullmatch(named) and named != digest:
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
        if digest_of(content) != digest:
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


def digest_of(content: bytes) -> str:
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
