"""One writer per project: a lease stored in the engine itself.

The lease is a container that is created but never started, named
``composer-lock-<project>``.  The engine reserves container names atomically,
so of several writers creating it at once exactly one succeeds and the others
get a conflict; this holds across hosts sharing the engine.  Its labels record
the holder (host, process, command, since when).  The expiry is the one thing
that must change while the lease is held, and labels are fixed at creation,
so it is kept (as epoch seconds) in the container's restart-policy retry
count, the one field the engine lets us update in place.  The container never
runs, so the policy itself has no effect.

A holder renews from a background thread every third of the time to live.  A
holder that crashed stops renewing; once its expiry has passed, a waiter
removes that very container (by ID, so two waiters cannot remove each other's
fresh lease) and creates its own.

The lease carries no Compose label, so observe never sees it: it is neither
an orphan nor removed by ``down``.  A container inherits the labels of its
image, and an image committed from a project container carries that
container's Compose labels, so the lease is created from an image without
Compose labels when there is one, and otherwise sets each inherited Compose
label to the empty string.  Listing a project's containers leaves out any
container with the lease label or name all the same.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import random
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import docker.errors
import requests

from composer.engine import LOCK_TIMEOUT
from composer.engine.client import Engine
from composer.engine.labels import LEASE, LEASE_PREFIX, PREFIX
from composer.errors import EngineError, LockError

log = logging.getLogger(__name__)

LABEL = LEASE
DEFAULT_TTL = 30.0
DEFAULT_TIMEOUT = LOCK_TIMEOUT
_POLL = 0.25


def lease_name(project: str) -> str:
    """The name of the lease container of ``project``."""
    return f"{LEASE_PREFIX}{project}"


def default_ttl() -> float:
    """The lease's time to live: ``COMPOSER_LOCK_TTL`` seconds, or 30."""
    raw = os.environ.get("COMPOSER_LOCK_TTL", "")
    try:
        return max(float(raw), 1.0) if raw else DEFAULT_TTL
    except ValueError:
        return DEFAULT_TTL


@dataclass(frozen=True)
class Holder:
    """Who holds a project's lease, and until when."""

    project: str
    host: str
    pid: int
    command: str
    since: float
    expires: float
    token: str
    container_id: str = ""

    def expired(self, now: float | None = None) -> bool:
        """Whether the holder stopped renewing in time."""
        return (now if now is not None else time.time()) >= self.expires

    def describe(self) -> str:
        """One line naming the holder, for messages."""
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        left = self.expires - time.time()
        state = f"expires in {left:.0f}s" if left > 0 else "expired"
        return (
            f"{self.command!r} (pid {self.pid} on {self.host}, since {since}, {state})"
        )

    def labels(self) -> dict[str, str]:
        """The labels that record this holder on the lease container."""
        return {
            LABEL: self.project,
            f"{LABEL}.host": self.host,
            f"{LABEL}.pid": str(self.pid),
            f"{LABEL}.command": self.command,
            f"{LABEL}.since": f"{self.since:.3f}",
            f"{LABEL}.token": self.token,
        }


def _holder(project: str, raw: Mapping[str, Any]) -> Holder:
    labels: Mapping[str, str] = (raw.get("Config") or {}).get("Labels") or {}
    policy = (raw.get("HostConfig") or {}).get("RestartPolicy") or {}
    try:
        pid = int(labels.get(f"{LABEL}.pid", "0"))
        since = float(labels.get(f"{LABEL}.since", "0"))
    except ValueError:
        pid, since = 0, 0.0
    return Holder(
        project=project,
        host=labels.get(f"{LABEL}.host", "?"),
        pid=pid,
        command=labels.get(f"{LABEL}.command", "?"),
        since=since,
        expires=float(policy.get("MaximumRetryCount") or 0),
        token=labels.get(f"{LABEL}.token", ""),
        container_id=str(raw.get("Id", "")),
    )


class _Store:
    """The few engine calls the lease makes, with errors converted once."""

    def __init__(self, engine: Engine) -> None:
        self.api: Any = engine.api
        self.host = engine.host

    def _fail(self, what: str, exc: Exception) -> EngineError:
        if isinstance(exc, requests.ConnectionError):
            return EngineError(f"cannot reach the Docker engine at {self.host}")
        text = getattr(exc, "explanation", None) or str(exc)
        return EngineError(f"{what}: {text}")

    def create(self, holder: Holder, image: Image) -> str | None:
        """Create the lease container; None when the name is taken."""
        # Blank every Compose label the image would pass on: the lease must
        # never look like a project's container.
        labels = {key: "" for key in image.labels if key.startswith(PREFIX)}
        labels.update(holder.labels())
        try:
            host_config = self.api.create_host_config(
                network_mode="none", restart_policy=_policy(holder.expires)
            )
            made = self.api.create_container(
                image=image.ref,
                name=lease_name(holder.project),
                command=["true"],
                labels=labels,
                host_config=host_config,
            )
        except docker.errors.ImageNotFound:
            raise
        except docker.errors.APIError as exc:
            if exc.status_code == 409:
                return None
            raise self._fail("create the project lease", exc) from exc
        except (requests.RequestException, docker.errors.DockerException) as exc:
            raise self._fail("create the project lease", exc) from exc
        return str(made["Id"])

    def read(self, project: str) -> Holder | None:
        """The current holder, or None when nobody holds the lease."""
        try:
            raw = self.api.inspect_container(lease_name(project))
        except docker.errors.NotFound:
            return None
        except (requests.RequestException, docker.errors.DockerException) as exc:
            raise self._fail("read the project lease", exc) from exc
        return _holder(project, raw)

    def renew(self, ident: str, expires: float) -> bool:
        """Push the expiry of our lease; False when it is no longer ours."""
        try:
            self.api.update_container(ident, restart_policy=_policy(expires))
        except docker.errors.NotFound:
            return False
        except (requests.RequestException, docker.errors.DockerException) as exc:
            raise self._fail("renew the project lease", exc) from exc
        return True

    def remove(self, ident: str) -> None:
        """Remove one lease container by ID; gone already is fine."""
        try:
            self.api.remove_container(ident, force=True)
        except docker.errors.NotFound:
            return
        except (requests.RequestException, docker.errors.DockerException) as exc:
            raise self._fail("remove the project lease", exc) from exc

    def any_image(self, preferred: Sequence[str] = ()) -> Image:
        """A local image to create the lease container from.

        Images without Compose labels come first (see the module's note);
        among them the project's own images, otherwise the oldest image: the
        newest are often short-lived (builds, tests) and may vanish.
        """
        try:
            images = self.api.images()
        except (requests.RequestException, docker.errors.DockerException) as exc:
            raise self._fail("list images", exc) from exc
        if not images:
            raise EngineError(
                "cannot take the project lease: the engine has no image to "
                "create the lease container from"
            )
        by_tag = {t: image for image in images for t in image.get("RepoTags") or ()}
        ranked = sorted(
            images,
            key=lambda image: (_composed(image), int(image.get("Created") or 0)),
        )
        for name in preferred:
            if name in by_tag and not _composed(by_tag[name]):
                return Image(name, dict(by_tag[name].get("Labels") or {}))
        best = ranked[0]
        return Image(str(best["Id"]), dict(best.get("Labels") or {}))


@dataclass(frozen=True)
class Image:
    """The image a lease container is created from, and the labels it passes on."""

    ref: str
    labels: Mapping[str, str]


def _composed(image: Mapping[str, Any]) -> bool:
    """Whether a listed image carries Compose labels its containers inherit."""
    return any(str(key).startswith(PREFIX) for key in image.get("Labels") or {})


def _policy(expires: float) -> dict[str, Any]:
    return {"Name": "on-failure", "MaximumRetryCount": math.ceil(expires)}


class Lease:
    """A held lease; renewed in the background until released.

    ``check`` tells an apply in flight whether it may go on: not once another
    writer has taken the lease over, nor once renewals have failed until the
    expiry last written has passed (a waiter may take it over from then on).
    """

    def __init__(self, store: _Store, holder: Holder, ttl: float) -> None:
        self.store = store
        self.holder = holder
        self.ttl = ttl
        self.waited = False
        self.lost = threading.Event()
        self._expires = holder.expires
        self._failing = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._renew_loop, name="composer-lease", daemon=True
        )
        self._thread.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            if not self.renew_once():
                return

    def renew_once(self) -> bool:
        """Push the expiry once; False when the lease is lost (stop renewing)."""
        expires = time.time() + self.ttl
        try:
            ours = self.store.renew(self.holder.container_id, expires)
        except EngineError as exc:
            self._failing = True
            log.warning("could not renew the lease: %s", exc.message)
            return True
        if not ours:
            log.warning("the lease of project %s was taken over", self.holder.project)
            self.lost.set()
            return False
        self._failing = False
        self._expires = expires
        return True

    def check(self) -> None:
        """Raise LockError when the lease may no longer be ours."""
        if not self.lost.is_set() and not (
            self._failing and time.time() >= self._expires
        ):
            return
        why = (
            "another writer took it over"
            if self.lost.is_set()
            else "it could not be renewed before it expired"
        )
        raise LockError(
            f"stopped applying: the lease of project {self.holder.project} "
            f"is no longer held ({why}); what ran is kept and the next run "
            "converges from it"
        )

    def release(self) -> None:
        """Stop renewing and remove the lease container."""
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self.store.remove(self.holder.container_id)
        except EngineError as exc:
            log.warning("could not release the lease: %s", exc.message)


def read_holder(engine: Engine, project: str) -> Holder | None:
    """Who holds the lease of ``project`` now (None when nobody does)."""
    return _Store(engine).read(project)


def acquire(
    engine: Engine,
    project: str,
    command: str,
    timeout: float | None = DEFAULT_TIMEOUT,
    ttl: float | None = None,
    images: Sequence[str] = (),
) -> Lease:
    """Take the lease, waiting up to ``timeout`` seconds; LockError after that.

    ``images`` are the project's images, preferred for the lease container.
    """
    store = _Store(engine)
    live = ttl or default_ttl()
    deadline = None if timeout is None else time.monotonic() + timeout
    image: Image | None = None
    waited = False
    while True:
        now = time.time()
        holder = Holder(
            project=project,
            host=socket.gethostname(),
            pid=os.getpid(),
            command=command,
            since=now,
            expires=now + live,
            token=uuid.uuid4().hex,
        )
        image = image or store.any_image(images)
        try:
            ident = store.create(holder, image)
        except docker.errors.ImageNotFound:
            image = None  # removed since we listed it; choose again
            continue
        if ident is not None:
            held = dataclasses.replace(holder, container_id=ident)
            log.debug("lease of %s taken by %s", project, held.describe())
            lease = Lease(store, held, live)
            lease.waited = waited
            return lease
        current = store.read(project)
        if current is None:
            continue
        if current.expired():
            log.warning(
                "taking over the expired lease of project %s from %s",
                project,
                current.describe(),
            )
            store.remove(current.container_id)
            continue
        if deadline is not None and time.monotonic() >= deadline:
            raise LockError(
                f"project {project} is locked by {current.describe()}; "
                "try again later or raise --lock-timeout"
            )
        if not waited:
            log.info("waiting for the lease of %s: %s", project, current.describe())
        waited = True
        time.sleep(_POLL * (0.5 + random.random()))


@contextmanager
def hold(
    engine: Engine,
    project: str,
    command: str,
    timeout: float | None = DEFAULT_TIMEOUT,
    ttl: float | None = None,
    images: Sequence[str] = (),
) -> Iterator[Lease]:
    """Hold the lease of ``project`` for the duration of the block."""
    lease = acquire(engine, project, command, timeout, ttl, images)
    try:
        yield lease
    finally:
        lease.release()


def command_line() -> str:
    """This process's command line, shortened for the holder label."""
    text = " ".join(
        os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv)
    )
    return text[:200] or "composer"
