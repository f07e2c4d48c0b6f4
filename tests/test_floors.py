"""The floors keep their order: a module imports only from floors below its own.

``spillway/`` is the ground (settings, errors, storage, AMI, the call
contract) and imports nothing else of ours. Above it ``models/`` and
``dialplan/``, then ``scheduler/``, then ``bot/`` and ``agi/``, then the web
app and the CLI on top, and ``bench/`` above everything. Neighbours on one
floor (``models``/``dialplan``, ``bot``/``agi``) never import each other.
Every import counts, also one inside a function or under ``TYPE_CHECKING``:
a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Floor numbers; a package may import from a strictly lower floor, and from itself.
FLOORS: dict[str, int] = {
    "spillway": 0,
    "models": 1,
    "dialplan": 1,
    "scheduler": 2,
    "bot": 3,
    "agi": 3,
    "web": 4,
    "cli": 5,
    "bench": 6,
}
# The test suite may use anything; nothing may use it (bench included).
TESTS = "tests"


@dataclass(frozen=True, slots=True)
class Violation:
    path: str
    line: int
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.imported} ({self.why})"


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def check_source(package: str, path: str, source: str) -> list[Violation]:
    """The floor violations of one module of ``package`` (pure, for the test of the test)."""
    own = FLOORS.get(package)
    problems = []
    for line, module in _imports(ast.parse(source, filename=path)):
        top = module.split(".")[0]
        if top == package:
            continue
        if top == TESTS:
            problems.append(Violation(path, line, module, "nothing imports the tests"))
            continue
        theirs = FLOORS.get(top)
        if theirs is None or own is None:
            continue  # a third-party module, or a file outside the floors
        if theirs == own:
            problems.append(Violation(path, line, module, f"{top} is {package}'s neighbour"))
        elif theirs > own:
            problems.append(Violation(path, line, module, f"{top} is above {package}"))
    return problems


def check_tree(root: Path) -> list[Violation]:
    problems: list[Violation] = []
    for package in FLOORS:
        for file in sorted((root / package).rglob("*.py")):
            rel = str(file.relative_to(root))
            problems.extend(check_source(package, rel, file.read_text()))
    return problems


def test_every_module_keeps_its_floor() -> None:
    problems = check_tree(ROOT)
    assert not problems, "floor violations:\n" + "\n".join(map(str, problems))


def test_every_package_folder_has_a_floor() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {TESTS}
    assert packages <= set(FLOORS), packages - set(FLOORS)


def test_the_check_catches_upward_neighbour_and_lazy_imports() -> None:
    upward = "from bot.voice_bot import SpeechBot\n"
    neighbour = "import agi.controller\n"
    lazy = "def f() -> None:\n    from cli.main import app\n"
    assert [v.why for v in check_source("spillway", "spillway/x.py", upward)] == [
        "bot is above spillway"
    ]
    assert [v.why for v in check_source("bot", "bot/x.py", neighbour)] == ["agi is bot's neighbour"]
    found = check_source("scheduler", "scheduler/x.py", lazy)
    assert [(v.line, v.imported) for v in found] == [(2, "cli.main")]
    assert str(found[0]) == "scheduler/x.py:2: imports cli.main (cli is above scheduler)"
    # Downward and third-party imports are fine.
    fine = "import numpy\nfrom spillway.call import Route\nfrom models.fetch import fetch\n"
    assert check_source("bot", "bot/x.py", fine) == []


def test_the_check_fails_on_a_real_tree_with_an_upward_import(tmp_path: Path) -> None:
    (tmp_path / "spillway").mkdir()
    (tmp_path / "spillway" / "bad.py").write_text("from agi.controller import CallController\n")
    (tmp_path / "agi").mkdir()
    (tmp_path / "agi" / "ok.py").write_text("from spillway.call import Route\n")
    assert [str(v) for v in check_tree(tmp_path)] == [
        "spillway/bad.py:1: imports agi.controller (agi is above spillway)"
    ]
