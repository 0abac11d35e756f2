"""Ownership labels: Docker Compose's, so both tools see the same project,
and composer's own, holding what it needs beyond them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PREFIX = "com.docker.compose."
PROJECT = PREFIX + "project"
SERVICE = PREFIX + "service"
CONTAINER_NUMBER = PREFIX + "container-number"
ONEOFF = PREFIX + "oneoff"
CONFIG_HASH = PREFIX + "config-hash"
WORKING_DIR = PREFIX + "project.working_dir"
CONFIG_FILES = PREFIX + "project.config_files"
ENVIRONMENT_FILE = PREFIX + "project.environment_file"
NETWORK = PREFIX + "network"
VOLUME = PREFIX + "volume"
VERSION = PREFIX + "version"
IMAGE = PREFIX + "image"
DEPENDS_ON = PREFIX + "depends_on"
REPLACE = PREFIX + "replace"

#: The compact JSON of the last applied service definition, image ID and
#: file digests, so a later plan can name the fields that changed.
SERVICE_CONFIG = "composer.service-config"

#: When composer created a container: the engine's clock, in epoch seconds.
#: A container whose ``Created`` time is far later was made by someone else
#: (labels copied by hand); see ``composer.plan.handmade``.
CREATED = "composer.created"

#: The git commit ``composer sync`` deployed a container from.
GIT_COMMIT = "composer.git-commit"

#: On an image composer built: the digest of its build inputs (context files
#: after ``.dockerignore``, Dockerfile, arguments, target).
BUILD_DIGEST = "composer.build-digest"

#: On the lease container (``composer.engine.lease``): the project it locks.
#: A container with this label is never one of the project's containers, even
#: when it inherited Compose labels from the image it was created from.
LEASE = "composer.lock"
#: The name prefix of lease containers.
LEASE_PREFIX = "composer-lock-"


def is_lease(project: str, labels: Mapping[str, str], names: Iterable[str]) -> bool:
    """Whether a container listed for ``project`` is its lease container."""
    name = LEASE_PREFIX + project
    return LEASE in labels or any(str(n).lstrip("/") == name for n in names)


#: The Compose version these labels imitate.
COMPOSE_VERSION = "2.40.3"
