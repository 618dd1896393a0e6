"""The locks in requirements/ agree with pyproject.toml: every dependency it names (with the
extras each lock is compiled with) is pinned there, by hash, at a version inside its range. A
change to pyproject.toml without `make lock` fails here instead of installing something else
on the next fresh clone."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
LOCKS = {"main.txt": [], "local.txt": ["local"], "dev.txt": ["local", "dev"]}
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


def _pins(lock: Path) -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match[1])] = Version(match[2])
    return pins


def _hashed(lock: Path) -> bool:
    """Every pinned requirement carries at least one --hash (pip then checks all of them)."""
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
    return all("--hash=sha256:" in entry for entry in entries if PIN.match(entry))


@pytest.mark.parametrize(("lock_name", "extras"), LOCKS.items())
def test_the_lock_pins_every_dependency_inside_its_range(lock_name, extras):
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        wanted += [Requirement(r) for r in project["optional-dependencies"][extra]]
    lock = REPO / "requirements" / lock_name
    pins = _pins(lock)
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in {lock_name}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock_name} pins {name}=={pins[name]}, outside {requirement}: run `make lock`"
        )
    assert _hashed(lock), f"{lock_name} has a pin without a hash"


def test_the_locks_agree_with_each_other():
    main, local, dev = (_pins(REPO / "requirements" / name) for name in LOCKS)
    assert {n: v for n, v in local.items() if n in main} == main
    assert {n: v for n, v in dev.items() if n in local} == local


def test_torch_is_the_cpu_build():
    # PyPI's torch==2.13.0 is the CUDA build (GBs of NVIDIA wheels): the locks pin the CPU one.
    for name in LOCKS:
        assert str(_pins(REPO / "requirements" / name)["torch"]).endswith("+cpu"), name
