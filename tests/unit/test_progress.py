"""Build output reaches every progress mode (issue 9); secrets are masked in it."""

from __future__ import annotations

import io
import json

from rich.console import Console

from composer.cli.progress import TAIL_LINES, JsonReporter, LiveReporter, PlainReporter
from composer.engine.report import Event, ListReporter, Status
from composer.gitops.masking import Secrets, masked_reporter

STEPS = [
    Event("image", "p-api", Status.WORKING, "Building"),
    Event("build", "api", Status.WORKING, "Step 1/2 : FROM busybox:local", 0, True),
    Event("build", "api", Status.WORKING, "Step 2/2 : RUN echo [ok]", 0, True),
    Event("image", "p-api", Status.DONE, "Built", 1.5),
]


def test_plain_prints_each_build_line_after_the_service() -> None:
    stream = io.StringIO()
    reporter = PlainReporter(stream)
    for event in STEPS:
        reporter.event(event)
    assert stream.getvalue().splitlines() == [
        "api  | Step 1/2 : FROM busybox:local",
        "api  | Step 2/2 : RUN echo [ok]",
        "Image p-api  Built  1.5s",
    ]


def test_json_writes_one_event_per_build_line() -> None:
    stream = io.StringIO()
    reporter = JsonReporter(stream)
    for event in STEPS:
        reporter.event(event)
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    lines = [e for e in events if e.get("output")]
    assert [(e["kind"], e["name"], e["text"]) for e in lines] == [
        ("build", "api", "Step 1/2 : FROM busybox:local"),
        ("build", "api", "Step 2/2 : RUN echo [ok]"),
    ]
    assert "output" not in events[0]


def test_live_display_shows_a_tail_of_the_build() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    reporter = LiveReporter(console)
    reporter.event(STEPS[0])
    for n in range(TAIL_LINES + 3):
        reporter.event(Event("build", "api", Status.WORKING, f"line {n}", 0, True))
    shown = Console(file=io.StringIO(), width=100, record=True)
    shown.print(reporter._view())
    text = shown.export_text()
    assert "api | line 2" not in text
    assert f"api | line {TAIL_LINES + 2}" in text and "Building" in text
    reporter.event(STEPS[-1])
    assert not reporter.tail  # the tail goes once the build ended


def test_build_output_is_masked() -> None:
    kept = ListReporter()
    reporter = masked_reporter(kept, Secrets(values=frozenset({"hunter22"})))
    reporter.event(Event("build", "api", Status.WORKING, "pw=hunter22", 0, True))
    assert kept.events[0].text == "pw=********" and kept.events[0].output
    shown = ListReporter()
    masked_reporter(shown, Secrets(values=frozenset({"hunter22"})), True).event(
        Event("build", "api", Status.WORKING, "pw=hunter22", 0, True)
    )
    assert shown.events[0].text == "pw=hunter22"
