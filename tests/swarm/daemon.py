"""A private dockerd for the Swarm tests, in its own network namespace.

The shared engine must never enter swarm mode, so each test session starts
its own daemons: one network namespace per daemon, a veth pair carrying its
address, and its own data root, exec root, pid file and unix socket under
``/run/composer-swarm-<id>/``. Everything is undone in ``stop``: the swarm is
left, the daemon and the containerd shims it started are ended by pid, mounts
under its directory are detached and the namespace is deleted. A run that was
killed before it could clean up leaves an ``owner`` file naming a dead pid;
``reap_stale`` undoes such leftovers at the start of the next run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors

log = logging.getLogger(__name__)

START_TIMEOUT = 90.0
STOP_TIMEOUT = 40.0
#: Every private daemon's directory (and namespace) name starts with this.
PREFIX = "composer-swarm-"
RUN_DIR = Path("/run")
TOOLS = ("ip", "nsenter", "dockerd", "umount")


def check_prerequisites() -> None:
    """Fail with one clear message when this machine cannot run the daemons."""
    problems = []
    if os.geteuid() != 0:
        problems.append("root (network namespaces, a second dockerd)")
    problems += [f"the {t} command" for t in TOOLS if shutil.which(t) is None]
    if problems:
        raise RuntimeError("the swarm tests need " + ", ".join(problems))


def run(*args: str) -> None:
    """Run a set-up command; fail loudly with its output."""
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {proc.stderr.strip()}")


@dataclass
class Namespace:
    """A network namespace with a loopback up."""

    name: str

    def create(self) -> None:
        """Add the namespace."""
        run("ip", "netns", "add", self.name)
        run("ip", "-n", self.name, "link", "set", "lo", "up")

    def delete(self) -> None:
        """Delete the namespace (its interfaces go with it)."""
        subprocess.run(["ip", "netns", "del", self.name], check=False)


def link(
    a: Namespace, a_addr: str, b: Namespace | None, b_addr: str | None
) -> tuple[str, str]:
    """A veth pair: one end in ``a`` with ``a_addr``, the other in ``b`` (or ``a``).

    Returns the names of the two ends.
    """
    tag = uuid.uuid4().hex[:6]
    left, right = f"cs{tag}a", f"cs{tag}b"
    run("ip", "link", "add", left, "type", "veth", "peer", "name", right)
    run("ip", "link", "set", left, "netns", a.name)
    run("ip", "link", "set", right, "netns", (b or a).name)
    run("ip", "-n", a.name, "addr", "add", f"{a_addr}/24", "dev", left)
    run("ip", "-n", a.name, "link", "set", left, "up")
    if b is not None and b_addr is not None:
        run("ip", "-n", b.name, "addr", "add", f"{b_addr}/24", "dev", right)
    run("ip", "-n", (b or a).name, "link", "set", right, "up")
    return left, right


@dataclass
class Daemon:
    """One dockerd in a namespace, with a unix socket of its own."""

    root: Path
    netns: Namespace
    address: str
    process: subprocess.Popen[bytes] | None = None
    client: docker.DockerClient | None = field(default=None, repr=False)

    @property
    def socket(self) -> Path:
        """Path of the daemon's API socket."""
        return self.root / "docker.sock"

    @property
    def host(self) -> str:
        """The DOCKER_HOST value that reaches this daemon."""
        return f"unix://{self.socket}"

    def claim(self) -> None:
        """Make the daemon's directory, owned by this process (see reap_stale)."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "owner").write_text(str(os.getpid()))

    def start(self) -> docker.DockerClient:
        """Start dockerd and wait until it answers."""
        self.claim()
        logfile = (self.root / "dockerd.log").open("wb")
        self.process = subprocess.Popen(
            [
                "nsenter",
                f"--net=/run/netns/{self.netns.name}",
                "dockerd",
                "--data-root",
                str(self.root / "data"),
                "--exec-root",
                str(self.root / "exec"),
                "--pidfile",
                str(self.root / "docker.pid"),
                "--host",
                self.host,
                "--cgroup-parent",
                f"/{self.root.name}",
                # Never share a system containerd's namespace with another engine.
                "--containerd-namespace",
                self.root.name,
                "--containerd-plugins-namespace",
                f"{self.root.name}-plugins",
            ],
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                client = docker.DockerClient(base_url=self.host, timeout=120)
                client.ping()
                self.client = client
                return client
            except docker.errors.DockerException:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "private dockerd did not start: "
                        + (self.root / "dockerd.log").read_text()[-2000:]
                    ) from None
                time.sleep(0.5)

    def stop(self) -> None:
        """Leave the swarm, stop dockerd, end its shims, unmount, delete."""
        if self.client is not None:
            with contextlib.suppress(docker.errors.DockerException):
                for service in self.client.services.list():
                    service.remove()
            with contextlib.suppress(docker.errors.DockerException):
                for container in self.client.containers.list(all=True):
                    container.remove(force=True)
            with contextlib.suppress(docker.errors.DockerException):
                self.client.swarm.leave(force=True)
            self.client.close()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None
        _undo(self.root)

    def halt(self) -> None:
        """End dockerd and its containers at once, as a machine that goes away."""
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for pid in _pids_mentioning(str(self.root / "exec")):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _undo(root: Path) -> None:
    """End what runs from ``root``, detach its mounts, delete it and its cgroups."""
    for pid in _pids_mentioning(str(root / "exec")):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _unmount_under(root)
    shutil.rmtree(root, ignore_errors=True)
    _remove_cgroups(root.name)


def reap_stale() -> list[str]:
    """Undo the daemons and namespaces of earlier runs whose process is gone."""
    reaped = []
    for root in sorted(RUN_DIR.glob(PREFIX + "*")):
        owner = root / "owner"
        with contextlib.suppress(OSError, ValueError):
            if _alive(int(owner.read_text())):
                continue
        with contextlib.suppress(OSError, ValueError):
            pid = int((root / "docker.pid").read_text())
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        _undo(root)
        reaped.append(root.name)
    listed = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=False
    )
    for line in listed.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(PREFIX) and not (RUN_DIR / name).exists():
            Namespace(name).delete()
            reaped.append(name)
    return reaped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pids_mentioning(text: str) -> list[int]:
    """Processes whose command line names our exec root (our shims)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if text.encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def _unmount_under(root: Path) -> None:
    prefix = str(root) + "/"
    mounts = [
        line.split()[1]
        for line in Path("/proc/mounts").read_text().splitlines()
        if line.split()[1].startswith(prefix)
    ]
    for mount in sorted(mounts, reverse=True):
        subprocess.run(["umount", "-l", mount], check=False)


def _remove_cgroups(name: str) -> None:
    for controller in Path("/sys/fs/cgroup").iterdir():
        top = controller / name
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*"), key=lambda p: -len(p.parts)):
            if path.is_dir():
                with contextlib.suppress(OSError):
                    path.rmdir()
        with contextlib.suppress(OSError):
            top.rmdir()


def load_images(target: str, names: list[str]) -> None:
    """Copy images from the shared engine into a private one (no registry)."""
    save = subprocess.Popen(
        ["docker", "-H", "unix:///var/run/docker.sock", "save", *names],
        stdout=subprocess.PIPE,
    )
    load = subprocess.run(
        ["docker", "-H", target, "load", "-q"],
        stdin=save.stdout,
        capture_output=True,
        check=False,
    )
    if save.stdout is not None:
        save.stdout.close()
    if save.wait() != 0 or load.returncode != 0:
        raise RuntimeError(f"could not copy {names}: {load.stderr.decode()}")
