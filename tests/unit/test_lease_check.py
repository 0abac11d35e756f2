"""The lease's check, which stops an apply once the lease may not be ours."""

from __future__ import annotations

import time
from typing import Any

import pytest

from composer.engine.lease import Holder, Lease, _Store
from composer.errors import EngineError, LockError


class FakeStore:
    """Stands in for the engine: each renewal answers what ``answers`` says."""

    def __init__(self, *answers: bool | None) -> None:
        self.answers = list(answers)
        self.removed: list[str] = []

    def renew(self, ident: str, expires: float) -> bool:
        answer = self.answers.pop(0)
        if answer is None:
            raise EngineError("cannot reach the Docker engine at unix:///x")
        return answer

    def remove(self, ident: str) -> None:
        self.removed.append(ident)


def _lease(store: FakeStore, expires_in: float) -> Lease:
    """A lease whose expiry, as last written, is ``expires_in`` s from now."""
    now = time.time()
    holder = Holder("p", "h", 1, "up", now, now + expires_in, "t", "c1")
    store_any: Any = store
    # The renewal thread waits a whole hour: the test renews by hand.
    return Lease(store_any, holder, ttl=10800)


def test_failed_renewals_stop_the_apply_once_the_expiry_has_passed() -> None:
    store = FakeStore(None, None, True)
    fresh = _lease(store, 60)
    assert fresh.renew_once()  # failed, but the expiry is an hour away
    fresh.check()
    fresh.release()

    late = _lease(store, -1)
    late.check()  # a renewal not yet made is no loss
    assert late.renew_once()  # failed: a waiter may take it over now
    with pytest.raises(LockError, match="could not be renewed before it expired"):
        late.check()
    assert late.renew_once()  # renewed after all: ours again
    late.check()
    late.release()
    assert store.removed == ["c1", "c1"]


def test_a_lease_taken_over_stops_the_apply_and_the_renewals() -> None:
    store = FakeStore(False)
    lease = _lease(store, 60)
    assert not lease.renew_once()
    assert lease.lost.is_set()
    with pytest.raises(LockError, match="another writer took it over"):
        lease.check()
    lease.release()


class FakeApi:
    """Lists the given images and records the one container created."""

    def __init__(self, images: list[dict[str, Any]]) -> None:
        self.listed = images
        self.created: dict[str, Any] = {}

    def images(self) -> list[dict[str, Any]]:
        return self.listed

    def create_host_config(self, **kwargs: Any) -> dict[str, Any]:
        return kwargs

    def create_container(self, **kwargs: Any) -> dict[str, str]:
        self.created = kwargs
        return {"Id": "lease1"}


def _store(images: list[dict[str, Any]]) -> tuple[_Store, FakeApi]:
    api = FakeApi(images)
    engine: Any = type("E", (), {"api": api, "host": "unix:///x"})()
    return _Store(engine), api


COMPOSED = {
    "Id": "sha256:c",
    "RepoTags": ["app:committed"],
    "Created": 1,
    "Labels": {"com.docker.compose.project": "p", "rev": "2"},
}
PLAIN = {"Id": "sha256:b", "RepoTags": ["busybox:local"], "Created": 5, "Labels": {}}


def test_the_lease_image_is_one_without_compose_labels() -> None:
    store, _ = _store([COMPOSED, PLAIN])
    assert store.any_image(["app:committed"]).ref == "sha256:b"
    store, _ = _store([COMPOSED, {**PLAIN, "RepoTags": ["mine:1"]}])
    assert store.any_image(["app:committed", "mine:1"]).ref == "mine:1"


def test_compose_labels_the_lease_would_inherit_are_blanked() -> None:
    store, api = _store([COMPOSED])
    image = store.any_image(["app:committed"])
    now = time.time()
    holder = Holder("p", "h", 1, "up", now, now + 30, "t")
    assert store.create(holder, image) == "lease1"
    labels = api.created["labels"]
    assert labels["com.docker.compose.project"] == ""
    assert "rev" not in labels
    assert labels["composer.lock"] == "p"
