"""Image steps of a plan: which images to build or pull, and why.

A service with ``build:`` is built when its image is missing, when ``--build``
or ``pull_policy: build`` asks, or when the digest of its build inputs
differs from the ``composer.build-digest`` label of the local image; the
last case also recreates the service's containers.  Other images are pulled
as ``pull_policy`` says.  Pure: the current time comes in the options.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from composer.engine.context import Staleness, short_digest, staleness
from composer.engine.labels import BUILD_DIGEST
from composer.engine.observe import Actual
from composer.graph import ServiceNode
from composer.plan.model import Action, FieldDiff, Kind, Step

_EVERY = re.compile(r"^every_(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_DAY = 86400


class BuildMode(StrEnum):
    """``up --build`` (always), ``up --no-build`` (never) or neither (auto)."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True)
class ImageOptions:
    """Command-line choices about images: build mode and a pull override."""

    build: BuildMode = BuildMode.AUTO
    pull: str | None = None
    now: float = field(default_factory=time.time)


@dataclass
class ImagePlan:
    """The image steps, the problems found, and per-service container diffs."""

    steps: list[Step] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stale: dict[str, tuple[FieldDiff, ...]] = field(default_factory=dict)


def refresh_seconds(policy: str) -> int | None:
    """Seconds after which ``daily``, ``weekly`` or ``every_<d>`` pull again."""
    if policy == "daily":
        return _DAY
    if policy == "weekly":
        return 7 * _DAY
    match = _EVERY.match(policy)
    if not match or not any(match.groups()):
        return None
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds


def pull_policy(node: ServiceNode, override: str | None = None) -> str:
    """The effective pull policy of a service (``missing`` by default)."""
    policy = override or str(node.definition.get("pull_policy") or "missing")
    return "missing" if policy == "if_not_present" else policy


def plan_images(
    services: list[ServiceNode], actual: Actual, options: ImageOptions
) -> ImagePlan:
    """Decide the image steps for ``services`` against the local images."""
    out = ImagePlan()
    seen: set[str] = set()
    for node in services:
        if node.image in seen:
            continue
        if "build" in node.definition:
            step = _build_step(node, actual, options, out)
        else:
            step = _pull_step(node, actual, options, out)
        if step is not None:
            seen.add(node.image)
            out.steps.append(step)
    return out


def _build_step(
    node: ServiceNode, actual: Actual, options: ImageOptions, out: ImagePlan
) -> Step | None:
    policy = pull_policy(node, options.pull)
    present = node.image in actual.images
    labels = actual.image_labels.get(node.image) or {}
    old = labels.get(BUILD_DIGEST)
    state = staleness(old, node.build_digest or "")
    changed = present and state is Staleness.CHANGED
    if present and state is Staleness.UNKNOWN and options.build is BuildMode.AUTO:
        context = (node.definition.get("build") or {}).get("context")
        out.warnings.append(
            f"service {node.name} builds from {context}, which cannot be "
            f"resolved to a revision: whether image {node.image} is stale is "
            f"unknown (`composer build {node.name}` rebuilds it)"
        )

    def step(action: Action, reason: str) -> Step:
        return Step(action, Kind.IMAGE, node.image, reason, node.name)

    if options.build is BuildMode.NEVER:
        if not present:
            out.problems.append(
                f"image {node.image} of service {node.name} is missing and "
                "--no-build forbids building it"
            )
        return None
    if changed:
        diff = FieldDiff(
            "build context", short_digest(old), short_digest(node.build_digest)
        )
        out.stale[node.name] = (diff,)
    if policy == "always" and options.build is BuildMode.AUTO:
        return step(Action.PULL, "pull_policy: always")
    if options.build is BuildMode.ALWAYS:
        return step(Action.BUILD, "--build")
    if policy == "build":
        return step(Action.BUILD, "pull_policy: build")
    if not present:
        return step(Action.BUILD, "image not found")
    if changed:
        reason = "build context changed" if old else "image has no build digest"
        return step(Action.BUILD, reason)
    return None


def _pull_step(
    node: ServiceNode, actual: Actual, options: ImageOptions, out: ImagePlan
) -> Step | None:
    policy = pull_policy(node, options.pull)
    present = node.image in actual.images

    def step(reason: str) -> Step:
        return Step(Action.PULL, Kind.IMAGE, node.image, reason, node.name)

    if policy == "always":
        return step("pull_policy: always")
    if policy == "never":
        if not present:
            out.problems.append(
                f"image {node.image} of service {node.name} is not present locally "
                "and pull_policy is never; build or pull it first"
            )
        return None
    if policy == "build":
        out.problems.append(
            f"service {node.name} has pull_policy: build but no build section"
        )
        return None
    if not present:
        return step("image not found")
    limit = refresh_seconds(policy)
    created = actual.image_created.get(node.image)
    if limit is not None and created is not None and options.now - created > limit:
        return step(f"pull_policy: {policy} (image older than {limit}s)")
    return None


def image_diffs(plan: ImagePlan, node: ServiceNode) -> tuple[FieldDiff, ...]:
    """The container-level differences the image plan implies for ``node``."""
    return plan.stale.get(node.name, ())


def digests_of(actual: Actual) -> Mapping[str, str]:
    """The build digest label of every local image that has one, by tag."""
    return {
        tag: labels[BUILD_DIGEST]
        for tag, labels in actual.image_labels.items()
        if BUILD_DIGEST in labels
    }
