"""Hypothesis strategies for broken Compose files: edits, random values, strings."""

from __future__ import annotations

import json

from hypothesis import strategies as st

from reliability.bad_inputs import BASE

_KEYS = [
    "image",
    "command",
    "ports",
    "environment",
    "volumes",
    "labels",
    "networks",
    "depends_on",
    "healthcheck",
    "deploy",
    "restart",
    "user",
    "scale",
    "expose",
]
_SCALARS = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r"), max_size=8),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text("abcxyz", min_size=1, max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated_text(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid file with one random edit: bytes spliced in, a line cut or repeated."""
    lines = (BASE + "    ports: ['8080:80']\n    environment: {A: '1'}\n").splitlines(
        keepends=True
    )
    kind = draw(st.sampled_from(["splice", "cut", "dup", "indent"]))
    idx = draw(st.integers(0, len(lines) - 1))
    if kind == "splice":
        junk = draw(
            st.sampled_from(
                [
                    "\t",
                    "{",
                    "[",
                    ":",
                    "- ",
                    "&",
                    "*x",
                    "!!",
                    "'",
                    '"',
                    "%",
                    "@",
                    "`",
                    "|",
                    ">",
                    "${",
                    "\x00",
                ]
            )
        )
        col = draw(st.integers(0, len(lines[idx])))
        lines[idx] = lines[idx][:col] + junk + lines[idx][col:]
    elif kind == "cut":
        col = draw(st.integers(0, len(lines[idx])))
        lines[idx] = lines[idx][:col] + "\n"
    elif kind == "dup":
        lines.insert(idx, lines[idx])
    else:
        lines[idx] = draw(st.sampled_from(["\t", " ", "   "])) + lines[idx]
    return f"mutate-{kind}", "".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def wrong_value(draw: st.DrawFn) -> tuple[str, bytes]:
    """A service whose known or unknown key holds a random value (flow YAML)."""
    key = draw(st.sampled_from(_KEYS) | st.text("abcdefgh_", min_size=1, max_size=9))
    value = draw(_VALUES)
    text = BASE + f"    {key}: {json.dumps(value)}\n"
    return f"value-{key}", text.encode()


@st.composite
def bad_strings(draw: st.DrawFn) -> tuple[str, bytes]:
    """Ports, volumes and ${ forms assembled from their pieces at random."""
    pieces = ["$", "{", "}", ":", "-", "?", "+", "A", "1", "/", ".", "x", "", "udp"]
    raw = "".join(draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=8)))
    key = draw(st.sampled_from(["ports", "volumes", "environment", "image"]))
    value: object = (
        {"A": raw} if key == "environment" else (raw if key == "image" else [raw])
    )
    return f"string-{key}", (BASE + f"    {key}: {json.dumps(value)}\n").encode()


GENERATED = st.one_of(mutated_text(), wrong_value(), bad_strings())
