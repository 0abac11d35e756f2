"""A corpus of broken Compose inputs: a hand-written table and hypothesis strategies.

Every case is a small project directory: files by name, extra environment and
whether the mistake has a position (line and column) that an error must name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAIN = "compose.yaml"
BASE = "services:\n  web:\n    image: busybox:local\n    command: sleep 60\n"


@dataclass(frozen=True)
class BadInput:
    """One broken project: its files, environment and what an error must say."""

    name: str
    files: dict[str, bytes]
    bad_file: str = MAIN
    positioned: bool = True
    environ: dict[str, str] = field(default_factory=dict)
    #: Text the error must hold besides the file (a key path, for instance).
    says: str = ""


def _case(
    name: str, text: str | bytes, positioned: bool = True, **kw: object
) -> BadInput:
    """A case whose only file is compose.yaml holding ``text``."""
    data = text.encode() if isinstance(text, str) else text
    files = {MAIN: data}
    extra = kw.pop("files", None)
    if isinstance(extra, dict):
        files.update(extra)
    bad = str(kw.pop("bad_file", MAIN))
    environ = kw.pop("environ", {})
    assert isinstance(environ, dict)
    return BadInput(name, files, bad, positioned, environ, str(kw.pop("says", "")))


def _service(body: str) -> str:
    """A compose file with one service ``web`` whose keys are ``body``."""
    lines = "".join(f"    {line}\n" for line in body.splitlines())
    return f"services:\n  web:\n    image: busybox:local\n{lines}"


SYNTAX = [
    "services:\n  web:\n    image: [unclosed\n",
    "services:\n  web:\n    image: {a: b\n",
    "services:\n  web:\n  image: x\n   ports: []\n",
    "services:\n  web:\n    image: 'unterminated\n",
    'services:\n  web:\n    image: "bad \\q escape"\n',
    "services:\n  - web\n  web: {}\n",
    "services: : :\n",
    "services:\n  web:\n    image: x\n  - y\n",
    "%YAML 9.9\n---\nservices: {}\n",
    "services:\n  web: &a\n    image: *b\n",
    "services:\n  web:\n    image: x\n---\nservices: {}\n",
    "services:\n  web:\n    image: !!python/object:os.system x\n",
    "services:\n\tweb:\n    image: x\n",
    "services:\n  web:\n    image: x\n\tcommand: y\n",
    "services:\n  web:\n    image: x\n    command:\t[\ty]\n\t\n",
    "services:\n  web:\n    image: x\n    image: y\n",
    "services:\n  web:\n    image: x\n  web:\n    image: y\n",
    "services:\n  web:\n    image: x\nservices:\n  db:\n    image: y\n",
    "services:\n  web:\n    image: x\n    environment:\n      A: 1\n      A: 2\n",
    "services:\n  1: {image: x}\n",
    "services:\n  web:\n    image: x\n    environment:\n      1.5: a\n",
    "services:\n  web:\n    image: x\n    labels:\n      [a]: b\n",
    "services:\n  web:\n    image: x\n    ? {a: 1}\n    : y\n",
    "services:\n  null: {image: x}\n",
    "services:\n  true: {image: x}\n",
]

WRONG_TYPES = [
    "services: 3\n",
    "services: [web]\n",
    "services:\n  web: image\n",
    "services:\n  web:\n    image: [x]\n",
    "services:\n  web:\n    image: x\n    ports: 80\n",
    "services:\n  web:\n    image: x\n    ports: {a: 1}\n",
    "services:\n  web:\n    image: x\n    environment: 3\n",
    "services:\n  web:\n    image: x\n    command: {a: b}\n",
    "services:\n  web:\n    image: x\n    scale: lots\n",
    "services:\n  web:\n    image: x\n    deploy: {replicas: -2}\n",
    "services:\n  web:\n    image: x\n    depends_on: 3\n",
    "services:\n  web:\n    image: x\n    healthcheck: {interval: soon}\n",
    "services:\n  web:\n    image: x\n    mem_limit: huge\n",
    "services:\n  web:\n    image: x\n    restart: sometimes\n",
    "services:\n  web:\n    image: x\n    networks: 5\n",
    "services:\n  web:\n    image: x\n    volumes: vol\n",
    "services:\n  web:\n    image: x\n    privileged: maybe\n",
    "networks: [a]\nservices:\n  web: {image: x}\n",
    "volumes: 3\nservices:\n  web: {image: x}\n",
    "services:\n  web: {image: x}\nname: [a]\n",
    "services:\n  web: {image: x}\nname: 'Bad Name!'\n",
    "- just\n- a\n- list\n",
    "just a string\n",
    "42\n",
]

UNKNOWN = [
    "services:\n  web:\n    image: x\n    imag: y\n",
    "services:\n  web:\n    image: x\n    port: [80]\n",
    "servics:\n  web:\n    image: x\n",
    "services:\n  web:\n    image: x\n    deploy: {replica: 2}\n",
    "services:\n  web:\n    image: x\n    healthcheck: {test: x, intervl: 1s}\n",
    "services:\n  web:\n    image: x\nnetworks:\n  n: {drivr: bridge}\n",
    "services:\n  web:\n    image: x\nvolumes:\n  v: {extrnal: true}\n",
    "services:\n  web:\n    image: x\n    depends_on: [db]\n",
    "services:\n  web:\n    image: x\n    networks: [missing]\n",
    "services:\n  web:\n    image: x\n    volumes: ['missing:/data']\n",
    "services:\n  web:\n    image: x\n    depends_on: [web]\n",
    "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n",
    "services:\n  a: {image: x, network_mode: 'service:nope'}\n",
    "services:\n  a: {image: x, volumes_from: [nope]}\n",
    "services:\n  web: {}\n",
]

INTERP = [
    "${",
    "${}",
    "${A",
    "${A:-",
    "${A:?}",
    "${A?missing}",
    "${A:?need A}",
    "${ A }",
    "${A B}",
    "${1A}",
    "${A:x}",
    "${A:-${B}",
    "${A-${B:?inner}}",
    "$${A}${",
    "${A!}",
    "${A:+${}}",
    "${A/b}",
    "${{A}}",
]

PORTS = [
    "abc",
    "80:abc",
    "99999",
    "0-",
    "1-2-3",
    "80:90:100:110",
    "-1",
    "80/xyz",
    "80-70:10",
    "1.2.3.4:",
    ":80:",
    "80:80/tcp/udp",
    "65536:80",
    "80-90:10-15",
    "[::1:80:80",
    "a.b.c.d:80:80",
    "",
]

VOLUMES = [
    "",
    ":",
    "::",
    "a:b:c:d",
    "vol:relative",
    "/x:/y:zz",
    "vol:/data:rw,bad",
    ":/data",
    "/data:",
    "vol:/data:ro:extra",
]

#: Broken env files; every mistake has a line and column.
ENV_FILES = [
    b"A=1\nB\x00=2\n",
    b"A=1\nB=\x00\n",
    b"export\n",
    b"A='unterminated\n",
    b'A="unterminated\n',
    b"\xff\xfe=1\n",
    b"A=1\nB=caf\xe9\n",
    b"=value\n",
    b"A B=1\n",
    b"A=${\n",
    b"A=${B:?must be set}\n",
]


def _binaryish() -> list[BadInput]:
    """Empty, binary, non-UTF-8 and huge files."""
    huge = BASE + "    environment:\n"
    rows = "".join(f"      K{i}: '{'x' * 60}'\n" for i in range(75_000))
    huge_bad = (huge + rows + "    ports: [abc]\n    x: [\n").encode()
    return [
        _case("empty", b"", positioned=False),
        _case("only-comment", b"# nothing\n", positioned=False),
        _case("whitespace", b"   \n\n  \n", positioned=False),
        _case("null-document", b"~\n", positioned=False),
        _case("binary", bytes(range(256)) * 8, positioned=False),
        _case("nul-bytes", b"services:\x00\n  web: {}\n", positioned=False),
        _case("latin-1", "services:\n  wéb:\n    image: x\n".encode("latin-1"), False),
        _case("utf-16", "services:\n  web: {image: x}\n".encode("utf-16"), False),
        _case("bad-utf8-tail", BASE.encode() + b"    user: \xc3\x28\n", False),
        _case("huge-5mb", huge_bad),
    ]


def _cycles() -> list[BadInput]:
    """include and extends cycles, alias bombs."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        bomb += f"{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    bomb += "services:\n  web:\n    image: x\n    command: *i\n"
    return [
        _case("include-self", "include: [compose.yaml]\n" + BASE, positioned=False),
        _case(
            "include-cycle",
            "include: [b.yaml]\n" + BASE,
            positioned=False,
            files={"b.yaml": b"include: [compose.yaml]\nservices: {}\n"},
        ),
        _case("include-missing", "include: [nope.yaml]\n" + BASE, positioned=False),
        _case(
            "extends-self",
            "services:\n  web:\n    image: x\n    extends: {service: web}\n",
            positioned=False,
        ),
        _case(
            "extends-cycle",
            "services:\n  a: {image: x, extends: b}\n  b: {image: x, extends: a}\n",
            positioned=False,
        ),
        _case(
            "extends-file-cycle",
            "services:\n  a: {image: x, extends: {file: b.yaml, service: b}}\n",
            positioned=False,
            files={
                "b.yaml": b"services:\n  b:\n    extends: {file: compose.yaml, "
                b"service: a}\n"
            },
        ),
        _case(
            "extends-missing",
            "services:\n  a: {image: x, extends: {service: nope}}\n",
            positioned=False,
        ),
        _case(
            "extends-missing-file",
            "services:\n  a: {extends: {file: nope.yaml, service: x}}\n",
            says="services.a.extends.file",
        ),
        _case(
            "extends-missing-file-block",
            "services:\n  a:\n    image: x\n    extends:\n      service: x\n"
            "      file: sub/nope.yaml\n",
            says="services.a.extends.file",
        ),
        _case("alias-bomb", bomb, positioned=False),
        _case(
            "included-broken",
            "include: [b.yaml]\n" + BASE,
            files={"b.yaml": b"services:\n  b:\n    image: [x\n"},
            bad_file="b.yaml",
        ),
    ]


def hand_written() -> list[BadInput]:
    """The hand-written table, expanded over the value tables."""
    cases: list[BadInput] = []
    for i, text in enumerate(SYNTAX):
        cases.append(_case(f"syntax-{i}", text))
    for i, text in enumerate(WRONG_TYPES):
        cases.append(_case(f"type-{i}", text))
    for i, text in enumerate(UNKNOWN):
        cases.append(_case(f"unknown-{i}", text))
    for i, form in enumerate(INTERP):
        for where, body in (
            ("image", f"services:\n  web:\n    image: '{form}'\n"),
            ("env", _service(f"environment:\n  X: '{form}'")),
            ("key", _service(f"labels:\n  '{form}': a")),
        ):
            cases.append(_case(f"interp-{i}-{where}", body))
    for i, port in enumerate(PORTS):
        cases.append(_case(f"port-{i}", _service(f"ports: ['{port}']")))
        cases.append(_case(f"expose-{i}", _service(f"expose: ['{port}x']")))
    for i, vol in enumerate(VOLUMES):
        cases.append(_case(f"volume-{i}", _service(f"volumes: ['{vol}']")))
    for i, data in enumerate(ENV_FILES):
        cases.append(
            _case(
                f"env-file-{i}",
                _service("env_file: [bad.env]"),
                files={"bad.env": data},
                bad_file="bad.env",
            )
        )
        cases.append(
            _case(
                f"dot-env-{i}",
                _service("environment: {A: '${A}'}"),
                files={".env": data},
                bad_file=".env",
            )
        )
    cases.append(
        _case("env-file-missing", _service("env_file: [nope.env]"), positioned=True)
    )
    cases.extend(_binaryish())
    cases.extend(_cycles())
    return cases
