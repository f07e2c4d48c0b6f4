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


# Rooms inside scheduler/: timing (when to call), simulation (worlds and runs),
# pilot (the two arms compared) and, flat beside them, the request store and
# the dialler. Timing is pure decisions, so it never reaches for the dialler or
# the simulator; nothing but the simulation room itself (and the CLI above)
# runs the simulator.
DIALLING = {
    "scheduler.dialer",
    "scheduler.dialer_nodes",
    "scheduler.daemon",
    "scheduler.originate",
    "scheduler.spool",
    "scheduler.spool_folder",
    "scheduler.csv_import",
    "scheduler.csv_file",
    "scheduler.callback_context",
}
ROOM_BANS: dict[str, dict[str, str]] = {
    "scheduler.timing": {
        **{m: "timing never uses the dialler" for m in DIALLING},
        "scheduler.simulation": "timing never uses the simulator",
        "scheduler.pilot": "timing never uses the pilot",
    },
    "scheduler.pilot": {"scheduler.simulation": "the pilot reports real requests"},
}
FLAT_BANS = {"scheduler.simulation": "only the simulation room runs the simulator"}


def _room_of(rel: str) -> str:
    parts = Path(rel).with_suffix("").parts
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


def check_rooms(rel: str, source: str) -> list[Violation]:
    """The room violations of one module under ``scheduler/`` (pure)."""
    room = _room_of(rel)
    bans = dict(ROOM_BANS.get(room, {}))
    if room == "scheduler":
        bans.update(FLAT_BANS)
    problems = []
    for line, module in _imports(ast.parse(source, filename=rel)):
        if module == "scheduler":  # ``from scheduler import x``: resolve the names
            tree = ast.parse(source)
            names = [
                f"scheduler.{a.name}"
                for n in ast.walk(tree)
                if isinstance(n, ast.ImportFrom) and n.module == "scheduler" and n.lineno == line
                for a in n.names
            ]
        else:
            names = [module]
        for name in names:
            for banned, why in bans.items():
                if name == banned or name.startswith(banned + "."):
                    problems.append(Violation(rel, line, name, why))
    return problems


def test_scheduler_rooms_keep_apart() -> None:
    problems = []
    for file in sorted((ROOT / "scheduler").rglob("*.py")):
        rel = str(file.relative_to(ROOT))
        problems.extend(check_rooms(rel, file.read_text()))
    assert not problems, "room violations:\n" + "\n".join(map(str, problems))


def test_the_room_check_catches_timing_using_the_dialler() -> None:
    bad = "from scheduler import dialer\nfrom scheduler.simulation.world import World\n"
    found = check_rooms("scheduler/timing/x.py", bad)
    assert [(v.line, v.imported) for v in found] == [
        (1, "scheduler.dialer"),
        (2, "scheduler.simulation.world"),
    ]
    assert check_rooms("scheduler/timing/x.py", "from scheduler.rules import Rules\n") == []
    assert [v.why for v in check_rooms("scheduler/dialer.py", bad)] == [
        "only the simulation room runs the simulator"
    ]
