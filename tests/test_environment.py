"""The toolchain is locked: what the build and the tests run with is what requirements.lock pins.

requirements.txt lists what the project uses directly; requirements.lock, made from it by
pip-compile (`make lock`), pins every package those pull in as well, so a fresh clone next year
installs the same Sphinx, themes, myst-nb and Jupyter stack, not whatever the index serves that
day. `make` installs the lock. These checks read the lock and the running environment, whose
packages come from it. Seen to fail before the lock existed (no requirements.lock), and on a
planted unpinned package and on a lock that disagrees with requirements.txt.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
REQUIREMENTS = ROOT / "requirements.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
# The project itself, installed in editable mode from the working tree (not from an index).
OWN_PACKAGE = "kltools"


def _name(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def pins(text: str) -> dict[str, str]:
    """Package name (normalized) -> pinned version, for each ``name==version`` line."""
    found = {}
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if match:
            found[_name(match.group(1))] = match.group(2)
    return found


def unpinned_lines(text: str) -> list[str]:
    """Requirement lines that do not pin one exact version."""
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    return [line for line in lines if line and not PIN.match(line)]


def installed() -> dict[str, str]:
    return {_name(dist.metadata["Name"]): dist.version for dist in importlib.metadata.distributions()}


def lock_problems(lock_text: str, requirements_text: str, environment: dict[str, str]) -> list[str]:
    """Where the lock fails to pin the environment, or disagrees with requirements.txt."""
    lock = pins(lock_text)
    problems = [f"not an exact pin: {line!r}" for line in unpinned_lines(lock_text)]
    for name, version in pins(requirements_text).items():
        if lock.get(name) != version:
            problems.append(f"requirements.txt pins {name}=={version}, the lock {lock.get(name)}")
    for name, version in sorted(environment.items()):
        if name != OWN_PACKAGE and lock.get(name) != version:
            problems.append(f"{name} {version} is installed, the lock pins {lock.get(name)}")
    return problems


def test_every_installed_package_is_pinned_by_the_lock():
    assert LOCK.is_file(), "requirements.lock is missing: run `make lock`"
    assert lock_problems(LOCK.read_text(), REQUIREMENTS.read_text(), installed()) == []


def test_requirements_pin_exact_versions():
    assert unpinned_lines(REQUIREMENTS.read_text()) == []


def test_the_lock_check_finds_planted_problems():
    lock = "sphinx==7.4.7\nnumpy==2.4.6\n"
    assert lock_problems(lock, "numpy==2.4.6\n", {"sphinx": "7.4.7", "numpy": "2.4.6"}) == []
    assert lock_problems(lock, "numpy==2.4.5\n", {"numpy": "2.4.6"}) == [
        "requirements.txt pins numpy==2.4.5, the lock 2.4.6"]
    assert lock_problems(lock, "", {"myst-nb": "1.4.0"}) == [
        "myst-nb 1.4.0 is installed, the lock pins None"]
    assert lock_problems(lock + "pydata-sphinx-theme>=0.17\n", "", {}) == [
        "not an exact pin: 'pydata-sphinx-theme>=0.17'"]
