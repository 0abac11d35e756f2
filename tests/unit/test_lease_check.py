"""The lease's check, which stops an apply once the lease may not be ours."""

from __future__ import annotations

import time
from typing import Any

import pytest

from composer.engine.lease import Holder, Lease
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
