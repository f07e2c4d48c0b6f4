"""The code stays ruff-clean, ruff-formatted and mypy-clean (CI runs this file too)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (it comes with the 'dev' extra)")
    return found


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_check() -> None:
    result = _run(_tool("ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = _run(_tool("ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_packages_and_tests() -> None:
    packages = ["spillway", "agi", "bot", "dialplan", "models", "scheduler", "web", "cli"]
    result = _run(_tool("mypy"), *packages, "tests")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py")))
def test_mypy_bench_script(script: str) -> None:
    # One by one: the scripts are run as files, not imported as a package.
    result = _run(_tool("mypy"), f"bench/{script}")
    assert result.returncode == 0, result.stdout + result.stderr
