"""The code stays ruff-clean, ruff-formatted and mypy-clean (CI runs this file too)."""

from __future__ import annotations

import ast
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


def test_no_sync_test_sits_under_a_module_wide_asyncio_mark() -> None:
    """pytest-asyncio warns of a plain ``def test_...`` in a module whose ``pytestmark``
    marks every test asyncio (tests/test_gdpr.py had one). With ``asyncio_mode = auto``
    and the session loop in pyproject.toml, such a mark is not needed at all."""
    offenders = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        marked = any(
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
            and "asyncio" in ast.unparse(node.value)
            for node in tree.body
        )
        if marked:
            offenders += [
                f"{path.name}::{node.name}"
                for node in tree.body
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
            ]
    assert offenders == []
