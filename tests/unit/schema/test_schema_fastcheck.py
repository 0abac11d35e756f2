"""The compiled fast check agrees with jsonschema on every document."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from composer.spec.fastcheck import SchemaNotSupported, compile_schema
from composer.spec.source import SourceMap
from composer.spec.validate import load_schema, validate_document
from composer.spec.yamlload import parse_yaml

SCHEMA = load_schema()
FAST = compile_schema(SCHEMA)
SLOW = Draft202012Validator(SCHEMA)
KITCHEN = parse_yaml(
    (Path(__file__).parent / "data" / "kitchen-sink.yaml").read_text(), "k"
).data


def _property_names(node: Any, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        out.update(node.get("properties", {}))
        for value in node.values():
            _property_names(value, out)
    elif isinstance(node, list):
        for value in node:
            _property_names(value, out)
    return out


NAMES = sorted(_property_names(SCHEMA, set()))
keys = st.sampled_from(NAMES) | st.sampled_from(["x-a", "a b", "web", ""]) | st.text()
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-5, 70000)
    | st.floats(allow_nan=False)
    | st.sampled_from(
        ["3", "true", "yes", "maybe", "${X}", "all", "service_healthy", "bind", "10s"]
    )
    | st.text(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4)
    ),
    max_leaves=12,
)
documents = st.dictionaries(
    st.sampled_from(["services", "networks", "volumes", "secrets", "x-y", "name"]),
    st.dictionaries(st.sampled_from(["web", "db", "x-e", "a b"]), values, max_size=3),
    max_size=4,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


KITCHEN_PATHS = [p for p in _paths(KITCHEN) if p]


@st.composite
def mutated_kitchen_sink(draw: st.DrawFn) -> Any:
    """The kitchen-sink file with one value replaced by something random."""
    doc = copy.deepcopy(KITCHEN)
    path = draw(st.sampled_from(KITCHEN_PATHS))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = draw(values)
    return doc


def _agree(doc: Any) -> None:
    expected = SLOW.is_valid(doc)
    assert FAST(doc) is expected
    found = validate_document(doc, SourceMap("c.yaml"))
    assert (found == []) is expected
    assert all(d.severity == "error" and d.code.startswith("S") for d in found)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_fast_check_agrees_on_random_documents(doc: Any) -> None:
    _agree(doc)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_kitchen_sink())
def test_fast_check_agrees_on_near_valid_documents(doc: Any) -> None:
    _agree(doc)


def test_kitchen_sink_is_valid_for_both() -> None:
    assert SLOW.is_valid(KITCHEN)
    assert FAST(KITCHEN)


def test_unknown_keyword_is_refused() -> None:
    with pytest.raises(SchemaNotSupported):
        compile_schema({"type": "object", "minProperties": 1})


def test_integer_valued_float_is_an_integer_for_both() -> None:
    doc = {"services": {"web": {"image": "x", "scale": 2.0}}}
    assert FAST(doc) and SLOW.is_valid(doc)
    doc["services"]["web"]["scale"] = 2.5
    assert not FAST(doc) and not SLOW.is_valid(doc)
