"""The lock files pin exactly what pyproject.toml asks for: every dependency, at a version that
satisfies its specifier, with hashes, and nothing that nothing needs.

`requirements.lock` is what the image installs, `requirements-dev.lock` what `make install` (and so
CI) installs: the runtime lock plus the test tools, at the same versions. After changing
dependencies in pyproject.toml, `make lock` writes both again.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
FIX = "run `make lock` after changing dependencies in pyproject.toml"

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)\s*(?:\\|$)", re.M)


@dataclass
class Lock:
    path: Path
    pins: dict[str, Version] = field(default_factory=dict)
    hashed: set[str] = field(default_factory=set)


def read_lock(path: Path) -> Lock:
    """Pins and which of them carry hashes, from a pip-compile / uv requirements file."""
    lock = Lock(path)
    current: str | None = None
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if not line[0].isspace():
            match = _PIN.match(line)
            assert match, f"{path.name}: not a pin: {line!r}"
            current = canonicalize_name(match.group(1))
            assert current not in lock.pins, f"{path.name}: {current} pinned twice"
            lock.pins[current] = Version(match.group(2))
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            lock.hashed.add(current)
    return lock


def project_dependencies() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [Requirement(d) for d in project["dependencies"]]
    dev = [Requirement(d) for d in project["optional-dependencies"]["dev"]]
    return runtime, dev


def closure(roots: list[Requirement], lock: Lock) -> set[str]:
    """Every distribution that `roots` need on this interpreter (Python 3.11, Linux), following
    the metadata of the installed distributions (installed from the dev lock), extras included.
    Checks each requirement met on the way against the lock's pin."""
    needed: dict[str, set[str]] = {}
    todo = list(roots)
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        assert name in lock.pins, f"{lock.path.name} does not pin {req} ({FIX})"
        pinned = lock.pins[name]
        assert req.specifier.contains(pinned, prereleases=True), (
            f"{lock.path.name} pins {name}=={pinned}, outside {req} ({FIX})"
        )
        extras = set(req.extras)
        if name in needed and extras <= needed[name]:
            continue
        needed[name] = needed.get(name, set()) | extras
        for text in metadata.requires(name) or []:
            sub = Requirement(text)
            if sub.marker is None or any(
                sub.marker.evaluate({"extra": e}) for e in (needed[name] or {""})
            ):
                todo.append(sub)
    return set(needed)


@pytest.fixture(scope="module")
def locks() -> tuple[Lock, Lock]:
    runtime, dev = read_lock(RUNTIME_LOCK), read_lock(DEV_LOCK)
    for lock in (runtime, dev):
        # What this environment runs on must be what the lock says, or the checks below would
        # read another version's metadata.
        for name, version in lock.pins.items():
            try:
                installed = Version(metadata.version(name))
            except metadata.PackageNotFoundError:
                pytest.fail(f"{lock.path.name} pins {name}, which is not installed: make install")
            assert installed == version, (
                f"{name} {installed} is installed but {lock.path.name} pins {version}: "
                "run `make install`"
            )
    return runtime, dev


def test_every_dependency_is_pinned_within_its_specifier(locks: tuple[Lock, Lock]) -> None:
    runtime_lock, dev_lock = locks
    runtime, dev = project_dependencies()
    for req in runtime:
        for lock in (runtime_lock, dev_lock):
            name = canonicalize_name(req.name)
            assert name in lock.pins, f"{lock.path.name} does not pin {req} ({FIX})"
            assert req.specifier.contains(lock.pins[name], prereleases=True), (
                f"{lock.path.name} pins {name}=={lock.pins[name]}, outside {req} ({FIX})"
            )
    for req in dev:
        name = canonicalize_name(req.name)
        assert name in dev_lock.pins, f"{dev_lock.path.name} does not pin {req} ({FIX})"
        assert req.specifier.contains(dev_lock.pins[name], prereleases=True), (
            f"{dev_lock.path.name} pins {name}=={dev_lock.pins[name]}, outside {req} ({FIX})"
        )


def test_locks_hold_exactly_what_the_dependencies_need(locks: tuple[Lock, Lock]) -> None:
    runtime_lock, dev_lock = locks
    runtime, dev = project_dependencies()
    assert set(runtime_lock.pins) == closure(runtime, runtime_lock), FIX
    assert set(dev_lock.pins) == closure(runtime + dev, dev_lock), FIX


def test_tests_run_against_what_the_image_ships(locks: tuple[Lock, Lock]) -> None:
    runtime_lock, dev_lock = locks
    differ = {
        name: (str(version), str(dev_lock.pins.get(name)))
        for name, version in runtime_lock.pins.items()
        if dev_lock.pins.get(name) != version
    }
    assert not differ, f"runtime vs dev lock: {differ} ({FIX})"


def test_every_pin_carries_hashes(locks: tuple[Lock, Lock]) -> None:
    for lock in locks:
        assert set(lock.pins) == lock.hashed, (
            f"{lock.path.name}: no hashes for {sorted(set(lock.pins) - lock.hashed)}; "
            "`pip install --require-hashes` would refuse it"
        )


def test_installs_and_the_image_use_the_locks() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements-dev.lock" in makefile
    assert "pip install --quiet --no-deps -e ." in makefile
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"--require-hashes\s+-r\s+\S*requirements\.lock", dockerfile)
