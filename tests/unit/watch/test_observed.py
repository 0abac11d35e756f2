"""The loop's kept observation and the events that drop it (a fake event feed)."""

from __future__ import annotations

from typing import Any

import pytest

from composer.engine.observe import Actual, ObservedContainer, ObservedNetwork
from composer.watch.observed import ObservationCache, RawEvent

P = "proj"


def actual() -> Actual:
    web = ObservedContainer("c1", f"{P}-web-1", "web", 1, "running", "sha256:i")
    net = ObservedNetwork(f"{P}_default", "n1", {"com.docker.compose.project": P})
    other = ObservedNetwork("elsewhere", "n2", {"com.docker.compose.project": "x"})
    return Actual(P, (web,), {net.name: net, other.name: other})


def raw(kind: str, action: str, actor: str = "a1", **attrs: str) -> dict[str, Any]:
    return {"Type": kind, "Action": action, "Actor": {"ID": actor, "Attributes": attrs}}


def kept_cache() -> ObservationCache:
    cache = ObservationCache(P)
    cache.connected()
    ticket = cache.ticket()
    cache.keep(ticket, actual(), ["ext_net"], ["proj_data"])
    assert cache.reusable() is not None
    return cache


def test_kept_while_the_stream_reports_nothing() -> None:
    cache = kept_cache()
    assert cache.reusable() == actual()
    assert cache.reusable() == actual()


def test_nothing_kept_without_a_connected_stream() -> None:
    cache = ObservationCache(P)
    ticket = cache.ticket()
    assert ticket is None
    cache.keep(ticket, actual(), [], [])
    assert cache.reusable() is None


LABELS = {"com.docker.compose.project": P, "name": f"{P}-web-1"}


@pytest.mark.parametrize(
    "event",
    [
        raw("container", "destroy", **LABELS),
        raw("container", "die", **LABELS),
        raw("container", "create", **LABELS),
        raw("container", "start", **LABELS),
        raw("container", "health_status: unhealthy", **LABELS),
        raw("container", "rename", **LABELS),
        raw("container", "create", **{"composer.lock": P, "name": "composer-lock-p"}),
        raw("container", "prune", actor=""),
        raw("container", "destroy", actor="c9"),  # no attributes: cannot tell
        raw("image", "tag", actor="sha256:x", name="busybox:local"),
        raw("image", "untag", actor="sha256:x"),
        raw("image", "delete", actor="sha256:x"),
        raw("image", "pull", actor="busybox:local", name="busybox"),
        raw("image", "load", actor="sha256:x"),
        raw("network", "destroy", actor="n1", name=f"{P}_default"),
        raw("network", "disconnect", actor="n1", name=f"{P}_default", container="c9"),
        raw("network", "destroy", actor="n3", name="ext_net"),
        raw("network", "connect", actor="n2", name="elsewhere", container="c1"),
        raw("network", "create", actor="n4", name="anything"),
        raw("network", "prune", actor=""),
        raw("network", "destroy", actor="n5"),  # no name: cannot tell
        raw("volume", "destroy", actor="proj_data"),
        raw("volume", "create", actor="d41d8cd98f00"),
        raw("volume", "mount", actor="v9", container="c1"),
        raw("volume", "prune", actor=""),
        raw("plugin", "enable", actor="p1"),  # a type the rules do not know
    ],
    ids=lambda e: f"{e['Type']}-{e['Action']}-{e['Actor']['ID'] or 'none'}",
)
def test_events_that_may_change_the_state_drop_it(event: dict[str, Any]) -> None:
    cache = kept_cache()
    cache.saw_raw(event)
    assert cache.reusable() is None


@pytest.mark.parametrize(
    "event",
    [
        raw("container", "destroy", **{"com.docker.compose.project": "x", "n": "y"}),
        raw("container", "start", name="lonely"),
        raw("container", "exec_start: /bin/sh -c true", **LABELS),
        raw("container", "exec_die", **LABELS),
        raw("container", "attach", **LABELS),
        raw("network", "destroy", actor="n2", name="elsewhere"),
        raw("network", "connect", actor="n2", name="elsewhere", container="c7"),
        raw("volume", "destroy", actor="someone_else"),
        raw("volume", "mount", actor="v9", container="c7"),
    ],
    ids=lambda e: f"{e['Type']}-{e['Action'].split(':')[0]}-{e['Actor']['ID']}",
)
def test_events_of_others_and_read_only_actions_keep_it(event: dict[str, Any]) -> None:
    cache = kept_cache()
    cache.saw_raw(event)
    assert cache.reusable() == actual()


def test_a_lost_stream_drops_it_and_a_reconnection_does_not_bring_it_back() -> None:
    cache = kept_cache()
    cache.disconnected()
    assert cache.reusable() is None
    cache.connected()
    assert cache.reusable() is None


def test_a_reconnection_alone_drops_it() -> None:
    cache = kept_cache()
    cache.connected()
    assert cache.reusable() is None


def test_an_event_during_the_observation_keeps_nothing() -> None:
    cache = ObservationCache(P)
    cache.connected()
    ticket = cache.ticket()
    # Not a name the project knows, but the observation was being taken.
    cache.saw(RawEvent("network", "destroy", "n2", {"name": "elsewhere"}))
    cache.keep(ticket, actual(), [], [])
    assert cache.reusable() is None


def test_a_stream_lost_and_back_during_the_observation_keeps_nothing() -> None:
    cache = ObservationCache(P)
    cache.connected()
    ticket = cache.ticket()
    cache.disconnected()
    cache.connected()
    cache.keep(ticket, actual(), [], [])
    assert cache.reusable() is None


def test_the_loop_drops_it_and_a_new_observation_replaces_it() -> None:
    cache = kept_cache()
    cache.drop("applied")
    assert cache.reusable() is None
    ticket = cache.ticket()
    cache.keep(ticket, actual(), [], [])
    assert cache.reusable() == actual()


def test_every_container_event_counts_until_the_project_is_named() -> None:
    cache = ObservationCache(None)
    cache.connected()
    cache.name(P)
    cache.keep(cache.ticket(), actual(), [], [])
    cache.name("renamed")
    assert cache.reusable() is None
    unnamed = ObservationCache(None)
    unnamed.connected()
    unnamed.keep(unnamed.ticket(), actual(), [], [])
    unnamed.saw(RawEvent("container", "start", "c5", {"name": "other"}))
    assert unnamed.reusable() is None
