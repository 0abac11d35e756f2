"""Invalid Compose files: each mistake gives the right code, key path and line."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from composer.errors import Diagnostic
from composer.spec.source import SourceMap
from composer.spec.validate import _validator, load_schema, validate_document

Check = Callable[[str], list[Diagnostic]]

# (id, file text, code, key path, line)
INVALID: list[tuple[str, str, str, str, int]] = [
    (
        "unknown-service-key",
        """
        services:
          web:
            image: nginx
            depends on: [db]
          db:
            image: postgres
        """,
        "S001",
        "services.web.depends on",
        4,
    ),
    (
        "unknown-top-level-key",
        """
        servics:
          web:
            image: nginx
        """,
        "S001",
        "servics",
        1,
    ),
    (
        "unknown-key-in-long-port",
        """
        services:
          web:
            image: nginx
            ports:
              - "80:80"
              - target: 80
                publish: 8080
        """,
        "S001",
        "services.web.ports[1].publish",
        7,
    ),
    (
        "unknown-key-in-build",
        """
        services:
          web:
            build:
              context: .
              dockerfil: Dockerfile
        """,
        "S001",
        "services.web.build.dockerfil",
        5,
    ),
    (
        "image-not-a-string",
        """
        services:
          web:
            image: 3
        """,
        "S002",
        "services.web.image",
        3,
    ),
    (
        "replicas-not-a-number",
        """
        services:
          web:
            image: nginx
            deploy:
              replicas: many
        """,
        "S002",
        "services.web.deploy.replicas",
        5,
    ),
    (
        "privileged-not-a-boolean",
        """
        services:
          web:
            image: nginx
            privileged: maybe
        """,
        "S002",
        "services.web.privileged",
        4,
    ),
    (
        "ports-not-a-list",
        """
        services:
          web:
            image: nginx
            ports: "80:80"
        """,
        "S002",
        "services.web.ports",
        4,
    ),
    (
        "duration-not-a-string",
        """
        services:
          web:
            image: nginx
            healthcheck:
              test: ["CMD", "true"]
              interval: 10
        """,
        "S002",
        "services.web.healthcheck.interval",
        6,
    ),
    (
        "environment-value-is-a-list",
        """
        services:
          web:
            image: nginx
            environment:
              A: [1, 2]
        """,
        "S002",
        "services.web.environment.A",
        5,
    ),
    (
        "service-is-null",
        """
        services:
          web:
        """,
        "S002",
        "services.web",
        2,
    ),
    (
        "bad-depends-on-condition",
        """
        services:
          web:
            image: nginx
            depends_on:
              db:
                condition: service_helthy
          db:
            image: postgres
        """,
        "S003",
        "services.web.depends_on.db.condition",
        6,
    ),
    (
        "bad-volume-type",
        """
        services:
          web:
            image: nginx
            volumes:
              - type: folder
                source: ./a
                target: /a
        """,
        "S003",
        "services.web.volumes[0].type",
        5,
    ),
    (
        "bad-watch-action",
        """
        services:
          web:
            image: nginx
            develop:
              watch:
                - path: ./src
                  action: reload
        """,
        "S003",
        "services.web.develop.watch[0].action",
        7,
    ),
    (
        "long-volume-without-type",
        """
        services:
          web:
            image: nginx
            volumes:
              - source: data
                target: /data
        """,
        "S004",
        "services.web.volumes[0]",
        5,
    ),
    (
        "model-without-model",
        """
        services:
          web:
            image: nginx
        models:
          llm:
            context_size: 10
        """,
        "S004",
        "models.llm",
        5,
    ),
    (
        "service-name-with-space",
        """
        services:
          my web:
            image: nginx
        """,
        "S008",
        "services.my web",
        2,
    ),
    (
        "extension-key-inside-services",
        """
        services:
          web:
            image: nginx
            x-meta:
              owner: me
            ulimits:
              nofile:
                soft: 10
        """,
        "S004",
        "services.web.ulimits.nofile",
        7,
    ),
    (
        "network-subnet-number",
        """
        services:
          web:
            image: nginx
        networks:
          back:
            ipam:
              config:
                - subnet: 10
        """,
        "S002",
        "networks.back.ipam.config[0].subnet",
        8,
    ),
    (
        "gpus-wrong-string",
        """
        services:
          web:
            image: nginx
            gpus: some
        """,
        "S002",
        "services.web.gpus",
        4,
    ),
    (
        "env-file-long-unknown-key",
        """
        services:
          web:
            image: nginx
            env_file:
              - path: ./a.env
                requird: false
        """,
        "S001",
        "services.web.env_file[0].requird",
        6,
    ),
    (
        "duration-without-unit",
        """
        services:
          web:
            image: nginx
            stop_grace_period: "10"
        """,
        "S005",
        "services.web.stop_grace_period",
        4,
    ),
    (
        "size-with-bad-unit",
        """
        services:
          web:
            image: nginx
            deploy:
              resources:
                limits:
                  memory: 1.2.3
        """,
        "S005",
        "services.web.deploy.resources.limits.memory",
        7,
    ),
    (
        "unknown-pull-policy",
        """
        services:
          web:
            image: nginx
            pull_policy: sometimes
        """,
        "S005",
        "services.web.pull_policy",
        4,
    ),
    (
        "negative-replicas",
        """
        services:
          web:
            image: nginx
            deploy:
              replicas: -1
        """,
        "S006",
        "services.web.deploy.replicas",
        5,
    ),
    (
        "extra-host-without-address",
        """
        services:
          web:
            image: nginx
            extra_hosts:
              - "somehost=1.2.3.4"
              - somehost
        """,
        "S005",
        "services.web.extra_hosts[1]",
        6,
    ),
    (
        "version-as-number",
        """
        version: 3.8
        services:
          web:
            image: nginx
        """,
        "S002",
        "version",
        1,
    ),
]


@pytest.mark.parametrize(
    ("text", "code", "key", "line"),
    [pytest.param(*row[1:], id=row[0]) for row in INVALID],
)
def test_invalid_snippet(
    validate: Check, text: str, code: str, key: str, line: int
) -> None:
    found = validate(text)
    assert [(d.code, d.key, d.location.line) for d in found] == [(code, key, line)]
    only = found[0]
    assert only.severity == "error"
    assert only.location.file == "compose.yaml"
    assert only.location.column is not None
    assert only.message


PGSQL = (
    "Pgsql=Host=mi-postgres;Port=5432;Database=Curso;User Id=postgres;"
    "Password=password;"
)
TUTORIAL = f"""
version: '3.8'
services:
  mi-postgres:
    image: postgres
    ports:
      - '5433:5432'
    environment:
      - POSTGRES_USER=postgres
      - POSTGRES_PASSWORD=password
      - POSTGRES DB=Curso
    volumes:
      - postgres-data:/var/lib/postgresql/data
  mi-aplicacion:
    build:
      context: .
      dockerfile: Dockerfile
    ports:
      - '7263:80'
    depends on:
      - mi-postgres
      - {PGSQL}
volumes:
  postgres-data:
"""


def test_tutorial_file_points_at_depends_on(validate: Check) -> None:
    found = validate(TUTORIAL)
    assert len(found) == 1, found
    diag = found[0]
    assert diag.code == "S001"
    assert diag.key == "services.mi-aplicacion.depends on"
    assert (diag.location.line, diag.location.column) == (19, 5)
    assert "`depends on`" in diag.message
    assert diag.hint == "did you mean `depends_on`?"
    assert "compose.yaml:19:5" in diag.render()


def test_tutorial_file_with_key_fixed_has_no_schema_error(validate: Check) -> None:
    fixed = TUTORIAL.replace("depends on:", "depends_on:")
    assert validate(fixed) == []


def test_all_errors_are_reported_at_once_in_file_order(validate: Check) -> None:
    found = validate(
        """
        services:
          web:
            image: 3
            privileged: maybe
            restrat: always
          db:
            image: postgres
            ports: 5432
        foo: 1
        """
    )
    assert [(d.code, d.location.line) for d in found] == [
        ("S002", 3),
        ("S002", 4),
        ("S001", 5),
        ("S002", 8),
        ("S001", 9),
    ]
    assert found[2].hint == "did you mean `restart`?"
    assert found[4].hint == "extension keys must start with `x-`"


def test_two_unknown_keys_in_one_mapping_give_two_errors(validate: Check) -> None:
    found = validate(
        """
        services:
          web:
            image: nginx
            imgae: nginx
            comand: run
        """
    )
    assert [(d.key, d.hint) for d in found] == [
        ("services.web.imgae", "did you mean `image`?"),
        ("services.web.comand", "did you mean `command`?"),
    ]


def test_any_of_failure_reports_the_branch_the_user_wrote(validate: Check) -> None:
    # build is "string or mapping": a mapping with a bad key must be reported
    # as that key, not as "must be a string".
    found = validate(
        """
        services:
          web:
            build:
              context: .
              args: 3
        """
    )
    assert [(d.code, d.key) for d in found] == [("S002", "services.web.build.args")]
    assert "a mapping or a list" in found[0].message


def test_typed_scalar_message_names_the_expected_kind(validate: Check) -> None:
    (diag,) = validate(
        """
        services:
          web:
            image: nginx
            scale: lots
        """
    )
    assert diag.code == "S002"
    assert "a whole number" in diag.message
    assert "`lots`" in diag.message


def test_enum_error_suggests_the_closest_value(validate: Check) -> None:
    (diag,) = validate(
        """
        services:
          web:
            image: nginx
            cgroup: hots
        """
    )
    assert diag.code == "S003"
    assert diag.hint == "did you mean `host`?"


def test_service_name_hint_replaces_bad_characters(validate: Check) -> None:
    (diag,) = validate(
        """
        services:
          my web:
            image: nginx
        """
    )
    assert diag.hint == "did you mean `my_web`?"


def test_root_that_is_not_a_mapping() -> None:
    for doc in (None, [1, 2], "text"):
        (diag,) = validate_document(doc, SourceMap("c.yaml", {(): (1, 1)}))
        assert diag.code == "S002"
        assert diag.key is None
        assert diag.location.line == 1


def test_odd_yaml_values_do_not_crash() -> None:
    doc = {
        "services": {
            "web": {
                "image": datetime.date(2024, 1, 2),
                "labels": {1: "a", False: "b", None: "c"},
            }
        },
        7: "x",
    }
    found = validate_document(doc, SourceMap("c.yaml"))
    assert {(d.code, d.key) for d in found} == {
        ("S001", "7"),
    }


def test_non_string_keys_are_read_as_strings() -> None:
    doc = {"services": {"web": {"image": "x", "sysctls": {1: 2}}}}
    assert validate_document(doc, SourceMap("c.yaml")) == []


def test_every_diagnostic_is_an_error_with_a_location(validate: Check) -> None:
    found = validate(
        """
        services:
          web:
            image: [x]
            ports: [{target: x}]
        """
    )
    assert found
    for diag in found:
        assert isinstance(diag, Diagnostic)
        assert diag.severity == "error"
        assert diag.code.startswith("S")
        assert diag.location.line is not None


def test_schema_is_a_valid_draft_2020_12_schema_and_cached() -> None:
    schema = load_schema()
    _validator().check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    assert load_schema() is schema
    assert _validator() is _validator()


def test_every_error_of_the_chosen_form_is_reported(validate: Check) -> None:
    found = validate(
        """
        services:
          web:
            build: {contex: ., args: 3}
        """
    )
    assert [(d.code, d.key) for d in found] == [
        ("S001", "services.web.build.contex"),
        ("S002", "services.web.build.args"),
    ]


def test_empty_value_hints_at_an_unset_variable() -> None:
    doc = {"services": {"web": {"image": "x", "read_only": ""}}}
    (diag,) = validate_document(doc, SourceMap("c.yaml"))
    assert diag.code == "S002"
    assert "an empty string" in diag.message
    assert diag.hint is not None and "unset" in diag.hint


def test_absurdly_deep_nesting_is_a_diagnostic() -> None:
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    doc = {"services": {"web": {"image": "x", "labels": deep}}}
    found = validate_document(doc, SourceMap("c.yaml"))
    assert found and all(d.code.startswith("S") for d in found)


def test_format_messages_name_the_expected_format(validate: Check) -> None:
    (diag,) = validate(
        """
        services:
          web:
            image: nginx
            healthcheck:
              interval: soon
        """
    )
    assert diag.code == "S005"
    assert "a duration such as 10s" in diag.message
    assert "`soon`" in diag.message


def test_range_message_names_the_limit(validate: Check) -> None:
    (diag,) = validate(
        """
        services:
          web:
            image: nginx
            scale: -2
        """
    )
    assert diag.code == "S006"
    assert "at least 0" in diag.message
