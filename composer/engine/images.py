"""Images: build through the engine's classic build API, pull, push, list.

A build streams its output to the reporter line by line (``output`` events
named after the service) and labels the image
with the digest of its build inputs (``composer.build-digest``), which is
how a later plan knows the image is stale.  The engine (20.10, API 1.41)
builds with the classic builder: BuildKit-only options are refused with a
clear error before anything is sent.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import docker.errors
import requests

from composer.engine import context
from composer.engine import labels as L
from composer.engine.build import size_bytes
from composer.engine.client import Engine
from composer.engine.observe import Actual
from composer.engine.report import Event, NullReporter, Reporter, Status
from composer.errors import ApplyError, ComposerError, EngineError
from composer.graph import Desired, ServiceNode
from composer.plan.model import Action, FieldDiff, Kind, Plan, Step

log = logging.getLogger(__name__)

#: ``build:`` keys only BuildKit understands.
_BUILDKIT_ONLY = (
    "secrets",
    "ssh",
    "additional_contexts",
    "cache_to",
    "no_cache_filter",
    "entitlements",
    "privileged",
    "ulimits",
)


@dataclass(frozen=True)
class BuildRequest:
    """One image build: what to build, how, and the digest to label it with."""

    service: str
    image: str
    build: Mapping[str, Any]
    digest: str
    project: str
    no_cache: bool = False
    pull: bool = False


def build_request(
    desired: Desired,
    node: ServiceNode,
    no_cache: bool = False,
    pull: bool = False,
    args: Mapping[str, str] | None = None,
) -> BuildRequest:
    """The build of ``node``'s image, with command-line arguments merged in."""
    build = dict(node.definition.get("build") or {})
    if args:
        build["args"] = {**(build.get("args") or {}), **args}
    digest = node.build_digest if node.build_digest and not args else None
    return BuildRequest(
        service=node.name,
        image=node.image,
        build=build,
        digest=digest or context.build_digest(build),
        project=desired.project,
        no_cache=no_cache or bool(build.get("no_cache")),
        pull=pull or bool(build.get("pull")),
    )


def split_reference(image: str) -> tuple[str, str | None]:
    """``repo:tag`` or ``repo@digest`` as the repository and the tag or digest."""
    if "@" in image:
        repo, _, digest = image.partition("@")
        return repo, digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, None


@contextmanager
def _guard(what: str) -> Iterator[None]:
    """Turn SDK and HTTP failures of an image operation into ApplyError."""
    try:
        yield
    except docker.errors.APIError as exc:
        detail = getattr(exc, "explanation", None) or str(exc)
        raise ApplyError(f"{what} failed: {detail}") from exc
    except (requests.ConnectionError, docker.errors.DockerException) as exc:
        raise EngineError(f"{what}: cannot reach the Docker engine") from exc
    except requests.RequestException as exc:
        raise EngineError(f"{what}: engine request failed: {exc}") from exc


def check_supported(request: BuildRequest) -> None:
    """Refuse BuildKit-only options with a clear message."""
    used = [k for k in _BUILDKIT_ONLY if request.build.get(k)]
    platforms = request.build.get("platforms") or ()
    if len(platforms) > 1:
        used.append("platforms (more than one)")
    if used:
        raise ApplyError(
            f"build of service {request.service}: {', '.join(used)} need BuildKit, "
            "which is not supported by this engine (composer builds with the "
            "classic builder of the Docker API)"
        )


def build_image(
    engine: Engine, request: BuildRequest, reporter: Reporter | None = None
) -> str:
    """Build and tag one image, streaming its output; return the image ID."""
    check_supported(request)
    report = reporter or NullReporter()
    b = request.build
    labels = {str(k): str(v) for k, v in (b.get("labels") or {}).items()}
    # Only labels derived from the build's inputs: the same context and
    # arguments give the same image whichever project builds it, so projects
    # sharing an image name never move its tag back and forth.  Not Compose's
    # project labels either: containers inherit an image's labels, and any
    # container made from this image would then look like the project's.
    labels[L.BUILD_DIGEST] = request.digest
    platforms = list(b.get("platforms") or ())
    extra_hosts = _hosts(b.get("extra_hosts"))
    args = {str(k): str(v) for k, v in (b.get("args") or {}).items() if v is not None}
    source: dict[str, Any]
    if context.is_remote(b):
        source = {"path": str(b["context"]), "dockerfile": b.get("dockerfile")}
    else:
        inputs = context.resolve(b)
        source = {
            "fileobj": context.context_tarball(inputs),
            "custom_context": True,
            "dockerfile": inputs.dockerfile_in_tar,
        }
    what = f"build of service {request.service}"
    log.debug("building %s for %s", request.image, request.service)
    tail: list[str] = []
    image_id = ""
    with _guard(what):
        stream = engine.api.build(
            **source,
            tag=request.image,
            nocache=request.no_cache,
            pull=request.pull,
            rm=True,
            forcerm=True,
            decode=True,
            buildargs=args or None,
            labels=labels,
            target=b.get("target"),
            network_mode=b.get("network"),
            extra_hosts=extra_hosts or None,
            shmsize=size_bytes(b.get("shm_size")),
            cache_from=list(b.get("cache_from") or ()) or None,
            platform=platforms[0] if platforms else None,
            isolation=b.get("isolation"),
        )
        for chunk in stream:
            image_id = _consume(chunk, request, report, tail) or image_id
    if not image_id:
        raise ApplyError(f"{what} failed: the engine reported no image")
    for tag in b.get("tags") or ():
        repo, name = split_reference(str(tag))
        with _guard(f"tagging {tag}"):
            engine.api.tag(image_id, repo, name or "latest")
    return image_id


def _consume(
    chunk: Mapping[str, Any],
    request: BuildRequest,
    reporter: Reporter,
    tail: list[str],
) -> str | None:
    """Handle one decoded message of the build stream; return an image ID."""
    if "error" in chunk or "errorDetail" in chunk:
        detail = chunk.get("errorDetail") or {}
        message = str(detail.get("message") or chunk.get("error") or "").strip()
        shown = "\n".join(tail[-5:])
        raise ApplyError(
            f"build of service {request.service} failed: {message}"
            + (f"\n{shown}" if shown else "")
        )
    for line in str(chunk.get("stream") or "").splitlines():
        if line.strip():
            tail.append(line.rstrip())
            del tail[:-20]
            log.debug("build %s: %s", request.service, line.rstrip())
            reporter.event(
                Event("build", request.service, Status.WORKING, line.rstrip(), 0, True)
            )
    aux = chunk.get("aux")
    if isinstance(aux, Mapping) and aux.get("ID"):
        return str(aux["ID"])
    return None


def _hosts(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {
            str(k): str(v[0] if isinstance(v, list) else v) for k, v in value.items()
        }
    out: dict[str, str] = {}
    for item in value or ():
        host, _, ip = str(item).replace("=", ":", 1).partition(":")
        out[host] = ip
    return out


def pull_image(
    engine: Engine,
    image: str,
    reporter: Reporter | None = None,
    services: Sequence[str] = (),
) -> None:
    """Pull one image, reporting its progress; errors name ``services``."""
    report = reporter or NullReporter()
    repo, tag = split_reference(image)
    what = f"pull of image {image}"
    if services:
        what += f" for service{'s' if len(services) > 1 else ''} {', '.join(services)}"
    with _guard(what):
        for chunk in engine.api.pull(repo, tag, stream=True, decode=True):
            if "error" in chunk:
                raise ApplyError(f"{what} failed: {chunk['error']}")
            status = str(chunk.get("status") or "")
            if status:
                report.event(Event("image", image, Status.WORKING, status))


def push_image(engine: Engine, image: str, reporter: Reporter | None = None) -> None:
    """Push one image to its registry, reporting progress."""
    report = reporter or NullReporter()
    repo, tag = split_reference(image)
    with _guard(f"push of {image}"):
        for chunk in engine.api.push(repo, tag, stream=True, decode=True):
            if "error" in chunk:
                raise ApplyError(f"push of {image} failed: {chunk['error']}")
            status = str(chunk.get("status") or "")
            if status:
                report.event(Event("image", image, Status.WORKING, status))


def inspect_image(engine: Engine, image: str) -> dict[str, Any] | None:
    """The engine's description of a local image, or None when absent."""
    try:
        with _guard(f"inspect of {image}"):
            found: dict[str, Any] = engine.api.inspect_image(image)
    except ApplyError as exc:
        if isinstance(exc.__cause__, docker.errors.NotFound):
            return None
        raise
    return found


def remove_image(engine: Engine, image: str) -> None:
    """Remove a local image by name or ID."""
    with _guard(f"removing image {image}"):
        engine.api.remove_image(image)


def run_image_steps(
    engine: Engine,
    desired: Desired,
    actual: Actual,
    plan: Plan,
    reporter: Reporter | None = None,
) -> tuple[Plan, Actual]:
    """Build and pull what ``plan`` asks, before any container changes.

    Returns the plan without its image steps and a snapshot with the new image
    IDs; a pulled image whose ID changed adds the recreates it implies.
    """
    report = reporter or NullReporter()
    for step in plan.image_steps:
        _image_step(engine, desired, step, report)
    images: dict[str, str] = {}
    for image in engine.list_images():
        for tag in image.get("RepoTags") or ():
            images[str(tag)] = str(image["Id"])
    fresh = dataclasses.replace(actual, images={**actual.images, **images})
    steps = [s for s in plan.steps if s.kind is not Kind.IMAGE]
    for step in plan.image_steps:
        if step.action is Action.PULL and step.service:
            steps += _pulled_recreates(desired, actual, fresh, step, steps)
    return dataclasses.replace(plan, steps=tuple(steps)), fresh


def _image_step(
    engine: Engine, desired: Desired, step: Step, reporter: Reporter
) -> None:
    verbs = {Action.BUILD: ("Building", "Built"), Action.PULL: ("Pulling", "Pulled")}
    doing, done = verbs[step.action]
    began = time.monotonic()
    reporter.event(Event("image", step.name, Status.WORKING, doing))
    try:
        if step.action is Action.BUILD:
            node = desired.services[step.service or ""]
            build_image(engine, build_request(desired, node), reporter)
        else:
            users = sorted(
                n for n, node in desired.services.items() if node.image == step.name
            )
            pull_image(engine, step.name, reporter, users)
    except ComposerError as exc:
        elapsed = time.monotonic() - began
        reporter.event(Event("image", step.name, Status.FAILED, exc.message, elapsed))
        raise
    elapsed = time.monotonic() - began
    reporter.event(Event("image", step.name, Status.DONE, done, elapsed))


def _pulled_recreates(
    desired: Desired,
    before: Actual,
    after: Actual,
    pull: Step,
    planned: list[Step],
) -> list[Step]:
    """Recreate the containers of services whose pulled image has a new ID."""
    old, new = before.images.get(pull.name), after.images.get(pull.name)
    if old is None or old == new:
        return []
    touched = {s.container_id for s in planned if s.container_id}
    out: list[Step] = []
    for name, node in desired.services.items():
        if node.image != pull.name or name not in desired.selected:
            continue
        for c in after.of_service(name):
            if c.id in touched:
                continue
            diff = FieldDiff("image ID", c.image_id, new)
            out.append(
                Step(
                    Action.RECREATE,
                    Kind.CONTAINER,
                    c.name,
                    "pulled image changed",
                    name,
                    c.number,
                    c.id,
                    (diff,),
                )
            )
    return out
