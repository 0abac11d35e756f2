"""A container recreated by hand with composer's labels copied onto it."""

from __future__ import annotations

from composer.engine.labels import CREATED, SERVICE_CONFIG
from composer.engine.observe import ObservedContainer
from composer.plan.config import encode
from composer.plan.handmade import TOLERANCE, handmade

IMAGE = "sha256:" + "a" * 64
MADE = 1_800_000_000


def _container(
    service: dict[str, object],
    command: str | None,
    image_id: str = IMAGE,
    created: int | None = MADE,
) -> ObservedContainer:
    config = {"service": service, "image_id": IMAGE, "files": {}}
    labels = {SERVICE_CONFIG: encode(config), CREATED: str(MADE)}
    return ObservedContainer(
        "id", "p-web-1", "web", 1, "running", image_id, labels,
        command=command, created=created,
    )  # fmt: skip


def test_what_composer_made_is_never_flagged() -> None:
    """Commands as the engine lists them, with and without the image's entrypoint."""
    same = [
        ({"command": ["sleep", "3600"]}, "sleep 3600"),
        ({"command": ["sleep", "3600"]}, "docker-entrypoint.sh sleep 3600"),
        ({"command": ["sh", "-c", "echo 'a b'; x"]}, "sh -c 'echo 'a b'; x'"),
        ({"command": "echo hi"}, "/bin/sh -c 'echo hi'"),
        (
            {"entrypoint": ["sleep", "1"], "command": ["a", "b c", ""]},
            "sleep 1 a 'b c' ",
        ),
        ({"entrypoint": ["tini", "--"]}, "tini -- run"),
        ({}, "whatever the image says"),
        ({"command": ["x"]}, None),
    ]
    for service, line in same:
        assert handmade(_container(service, line)) == (), (service, line)
    late = _container({}, None, created=MADE + TOLERANCE)
    assert handmade(late) == ()
    early = _container({}, None, created=MADE - 3600)
    assert handmade(early) == ()


def test_other_command_image_or_late_creation_is_flagged() -> None:
    """Each of the three list-visible differences is named."""
    cmd = _container({"command": ["sleep", "3600"]}, "sleep 3599")
    assert [d.path for d in handmade(cmd)] == ["command (observed)"]
    ent = _container({"entrypoint": ["sleep"], "command": ["1"]}, "x sleep 1")
    assert [d.path for d in handmade(ent)] == ["command (observed)"]
    image = _container({}, None, image_id="sha256:" + "b" * 64)
    assert [d.path for d in handmade(image)] == ["image ID (observed)"]
    late = _container({}, None, created=MADE + TOLERANCE + 60)
    assert [d.path for d in handmade(late)] == ["created (observed)"]


def test_containers_without_composer_labels_are_not_judged() -> None:
    """Docker Compose's containers carry no recorded definition."""
    c = ObservedContainer(
        "id", "p-web-1", "web", 1, "running", IMAGE, {CREATED: "1"},
        command="anything", created=MADE,
    )  # fmt: skip
    assert handmade(c) == ()
