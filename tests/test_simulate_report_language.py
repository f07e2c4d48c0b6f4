"""`spillway simulate report` in the shop's language: the HTML page, its charts, the policies.

A Danish team lead found the report mostly English: the page's title and
headings, the charts' titles, axes and legends, the weekday names, the
policies' keys as column names, "(seeds 17)" and the terminal's "wrote ...".
Here the report is made in each language and read back: every word the pack
gives the report is on the page or in a chart, no English one is in the
Danish report (checked against the English pack's own values, not a list),
the policies are named as the console names them, the charts write the
language's decimal mark, and the learning curve ticks whole weeks.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from matplotlib.figure import Figure
from matplotlib.text import Text
from typer.testing import CliRunner

from cli.main import app
from scheduler.simulation.kpi_text import kpi_view
from scheduler.simulation.report_words import POLICY_KEY, policy_name, report_words
from scheduler.simulation.simulator import COMPARED, PolicyName
from spillway.console_text import load_console_text
from spillway.language_pack import load_pack, read_pack_file
from spillway.paths import repo_root
from tests.tiny_worlds import tiny_world

# (language, terminal output, page, every text of each chart, each chart's x tick labels)
Made = tuple[str, str, str, dict[str, list[str]], dict[str, list[str]]]
LANGUAGES = ("en", "da")
OTHER = {"en": "da", "da": "en"}
# The report's own keys in prompts.yaml.
REPORT_PREFIXES = ("sim_report_", "sim_chart_", "sim_runs_", "sim_kpi_", "sim_frontier_")


def _report_values(code: str) -> dict[str, str]:
    """Every wording the report takes from the pack, by key (the policies' names too)."""
    prompts = read_pack_file(code, "prompts.yaml")
    found = {k: str(v) for k, v in prompts.items() if k.startswith(REPORT_PREFIXES)}
    text = load_console_text(code)
    found.update({k: v for k, v in text.strings.items() if k.startswith(POLICY_KEY)})
    return found


def _fragments(wording: str) -> Iterator[str]:
    """The literal words of a wording, its {placeholders} left out: what would show."""
    for literal, _, _, _ in string.Formatter().parse(wording):
        if literal and len(literal.strip(" :,.()%→\u2013")) >= 4:
            yield literal.strip()


def _foreign(code: str) -> list[str]:
    """The other language's words for the report that this language words differently."""
    mine, theirs = _report_values(code), _report_values(OTHER[code])
    shared = " ".join(literal for v in mine.values() for literal, *_ in string.Formatter().parse(v))
    return [
        fragment
        for key, wording in theirs.items()
        if wording != mine[key]
        for fragment in _fragments(wording)
        if fragment not in shared  # a word both languages share ("pilot")
    ]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = repo_root() / "configs" / "worlds" / "pilot" / "calibrated_traditional.yaml"
    path = tiny_world(source, tmp_path_factory.mktemp("world") / "tiny.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["days"] = 9  # two weeks of requests, for the learning curve's ticks
    for segment in data["segments"]:
        segment["requests_per_day"] = 3.0
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=LANGUAGES)
def made(
    request: pytest.FixtureRequest, world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Made:
    """The report in one language, with the texts of its charts as drawn."""
    code = request.param
    out = tmp_path_factory.mktemp(f"report-{code}")
    charts: dict[str, list[str]] = {}
    xticks: dict[str, list[str]] = {}
    save = Figure.savefig

    def recording(fig: Figure, path: Any, *args: Any, **kwargs: Any) -> None:
        save(fig, path, *args, **kwargs)  # drawn first: the tick labels are set
        texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
        charts[Path(str(path)).name] = texts
        ticks = [t.get_text() for ax in fig.axes for t in ax.get_xticklabels()]
        xticks[Path(str(path)).name] = ticks

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Figure, "savefig", recording)
        result = CliRunner().invoke(
            app,
            [
                *("simulate", "report", "--world", str(world), "--out", str(out)),
                *("--frontier", "--language", code),
            ],
            env={"COLUMNS": "250"},
        )
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text(encoding="utf-8")
    return code, result.output, page, charts, xticks


def test_the_page_is_in_the_language(made: Made) -> None:
    code, output, page, _, _ = made
    pack = load_pack(code)
    assert f"<html lang='{code}'>" in page
    assert f"<title>{pack.say('sim_report_title')}</title>" in page
    assert f"<h1>{pack.say('sim_report_heading')}</h1>" in page
    names = [policy_name(pack, p.value) for p in COMPARED]
    header = "".join(f"<th>{name}</th>" for name in names)
    assert header in page  # the table's columns: the policies' names, in order
    assert pack.say("sim_runs_one", seeds=17) in page  # the frontier's title
    assert pack.say("sim_report_wrote", path="").strip() in output
    for key in (p.value for p in COMPARED if policy_name(pack, p.value) != p.value):
        assert f">{key}<" not in page  # no policy's key as a column name


def test_no_word_of_the_other_language(made: Made) -> None:
    code, output, page, charts, _ = made
    foreign = _foreign(code)
    assert foreign  # the languages do differ
    shown = {"page": page, "terminal": output} | {n: "\n".join(t) for n, t in charts.items()}
    for where, text in shown.items():
        found = [fragment for fragment in foreign if fragment in text]
        assert not found, (where, found)


def test_the_charts_carry_the_packs_words(
    made: Made,
) -> None:
    code, _, _, charts, _ = made
    pack = load_pack(code)
    words = report_words(pack, [p.value for p in COMPARED])
    assert set(charts) == {
        f"tiny-{chart}.png" for chart in ("kpis", "learning", "heatmap", "reliability", "frontier")
    }
    learning = charts["tiny-learning.png"]
    for wording in (words.learning_first, words.learning_contact, words.learning_x):
        assert wording in learning
    for name in words.policy_names.values():
        assert name in learning and name in charts["tiny-kpis.png"]  # legend and bars
    heatmap = charts["tiny-heatmap.png"]
    assert words.heatmap_x in heatmap
    assert all(day in heatmap for day in words.weekdays)
    other = report_words(load_pack(OTHER[code]), [])
    assert not set(other.weekdays) & set(heatmap)  # no "Mon" in Danish, no "man" in English
    assert words.weekdays[0] == load_console_text(code).weekday(0, short=True)
    reliability = charts["tiny-reliability.png"]
    for wording in (words.reliability_ideal, words.reliability_model):
        assert wording in reliability
    frontier = charts["tiny-frontier.png"]
    assert any(t.startswith(words.policy("traditional") + ":") for t in frontier)


def test_the_charts_write_numbers_as_the_console_does(
    made: Made,
) -> None:
    code, _, _, charts, _ = made
    mark = load_console_text(code).strings["format.decimal_mark"]
    other = load_console_text(OTHER[code]).strings["format.decimal_mark"]
    words = report_words(load_pack(code), [])
    assert words.tick(2.5) == f"2{mark}5" and words.tick(20.0) == "20"
    figure = re.compile("[\u2212-]?[\\d.,]+")  # matplotlib's minus sign, or a hyphen
    figures = [t for texts in charts.values() for t in texts if figure.fullmatch(t)]
    assert figures and not any(other in t for t in figures)


def test_the_learning_curve_ticks_whole_weeks(
    made: Made,
) -> None:
    _, _, _, _, xticks = made
    # A nine-day world: requests in weeks 1 and 2, and no tick between them (1.5).
    assert xticks["tiny-learning.png"] == ["1", "2", "1", "2"]


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_policy_is_named_by_the_pack(code: str) -> None:
    pack = load_pack(code)
    text = load_console_text(code)
    for policy in PolicyName:
        assert text.strings[POLICY_KEY + policy.value] == policy_name(pack, policy.value)
    kpis = {p.value: {"requests": 3} for p in COMPARED}
    shown = kpi_view(pack, "w", kpis).policies
    assert shown == tuple(text(POLICY_KEY + p.value) for p in COMPARED)
    assert policy_name(pack, "bench_only") == "bench_only"  # a name no pack has keeps its key


def test_danish_names_the_policies_as_the_console_does() -> None:
    """One Danish name per concept: the conventional rule is "konventionel" in the
    simulation as on the pilot's pages, predicted timing "forudsagt" in both."""
    text = load_console_text("da")
    assert text(POLICY_KEY + "traditional") == text("policy.conventional")
    assert text(POLICY_KEY + "predicted") == text("policy.predicted")
    pack = load_pack("da")
    assert text("policy.conventional") in pack.say("sim_kpi_column_material")
