"""Remote ``include`` sources: Compose files published as OCI artifacts.

``oci://[REGISTRY/]REPOSITORY[:TAG][@DIGEST]`` names an artifact in a
registry, as ``docker compose publish`` makes it: an image manifest whose
``artifactType`` (or, in the OCI 1.0 form, whose config media type) says it is
a Compose project, with one layer per Compose file and optional layers of
environment files.  Names without a registry mean Docker Hub, as for images.

The manifest and its layers are read with :mod:`composer.spec.oci_client`.
The artifact is unpacked once into
``$XDG_CACHE_HOME/composer/oci/<manifest digest>`` and reused afterwards; a
reference by digest needs no network once cached.  Its Compose files are
included in their order, merged as several ``-f`` files are.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from composer.spec.oci_client import (
    DIGEST,
    INDEXES,
    MANIFESTS,
    OCI_MANIFEST,
    OciReference,
    RegistryClient,
    parse_reference,
)
from composer.spec.remote import (
    RemoteError,
    cache_base,
    check_enabled,
    filling,
    is_oci,
)

log = logging.getLogger(__name__)

__all__ = ["OciReference", "fetch_oci_include", "is_oci", "parse_reference"]

ENABLE_VARIABLE = "COMPOSE_EXPERIMENTAL_OCI_REMOTE"
PROJECT_TYPE = "application/vnd.docker.compose.project"
COMPOSE_FILE_TYPE = "application/vnd.docker.compose.file+yaml"
ENV_FILE_TYPE = "application/vnd.docker.compose.envfile"
#: The config media type of the OCI 1.0 form, which has no ``artifactType``.
EMPTY_CONFIG_TYPE = "application/vnd.docker.compose.config.empty.v1+json"
_FILE_ANNOTATION = "com.docker.compose.file"
_EXTENDS_ANNOTATION = "com.docker.compose.extends"
_ENV_ANNOTATION = "com.docker.compose.envfile"


def cache_root(environ: Mapping[str, str]) -> str:
    """Where unpacked artifacts are kept."""
    return os.path.join(cache_base(environ), "oci")


def fetch_oci_include(path: str, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The local Compose files of an ``oci://`` include, fetched if needed."""
    check_enabled(environ, ENABLE_VARIABLE, "OCI")
    ref = parse_reference(path)
    if ref.digest:
        cached = _cached(environ, ref.digest)
        if cached:
            log.debug("remote include %s: using the cache", ref)
            return cached
    client = RegistryClient(ref, environ)
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


def _cached(environ: Mapping[str, str], digest: str) -> tuple[str, ...]:
    """The Compose files of an unpacked artifact, in order; empty if absent."""
    directory = os.path.join(cache_root(environ), digest.removeprefix("sha256:"))
    try:
        with open(os.path.join(directory, ".compose-files"), encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        return ()
    return tuple(os.path.join(directory, name) for name in names)


def _resolve(client: RegistryClient, ref: OciReference) -> tuple[str, dict[str, Any]]:
    """The digest and content of the Compose manifest ``ref`` names."""
    digest, manifest = client.manifest(ref.wanted)
    kind = str(manifest.get("mediaType") or "")
    if kind in INDEXES or "manifests" in manifest:
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
        if not DIGEST.fullmatch(chosen):
            raise RemoteError(f"{ref} is an index with an entry of no sha256 digest")
        digest, manifest = client.manifest(chosen)
    _check_compose_artifact(ref, manifest)
    return digest, manifest


def _check_compose_artifact(ref: OciReference, manifest: Mapping[str, Any]) -> None:
    kind = str(manifest.get("mediaType") or OCI_MANIFEST)
    config = manifest.get("config")
    config_type = str(config.get("mediaType")) if isinstance(config, dict) else ""
    artifact = str(manifest.get("artifactType") or "")
    if kind not in MANIFESTS:
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
    client: RegistryClient,
    ref: OciReference,
    manifest: Mapping[str, Any],
    directory: str,
) -> None:
    """Write the artifact's files into ``directory``, all or nothing."""
    with filling(directory) as work:
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
    if not isinstance(layer, dict) or not DIGEST.fullmatch(str(layer.get("digest"))):
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
