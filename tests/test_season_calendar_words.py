"""A season calendar that cannot be used (callbacks.seasons_file) is said in the admin's
language, each problem in the packs' words instead of PyYAML's, pydantic's or the
system's English, with the code config.seasons_file in every language."""

from __future__ import annotations

from pathlib import Path

import pytest

from spillway.console_text import load_console_text
from spillway.errors import ConfigError
from spillway.seasons import load_calendar, parse_calendar
from tests.test_config_errors_language import _failed

# (calendar text, English, Danish): what follows "season calendar s.yaml".
CASES = {
    "not-yaml": (
        "periods:\n  - name: a\n  x: : y\n",
        " line 3: not valid YAML (look at the indentation and the colons there)",
        " linje 3: ugyldig YAML (se efter indrykning og koloner dér)",
    ),
    "no-periods": (
        "holidays: []\n",
        " line 1: expected 'periods:' with a list of {name, from, to, region} entries",
        " linje 1: der skal stå 'periods:' med en liste over poster {name, from, to, region}",
    ),
    "unknown-top-key": (
        "periods: []\nholidays: []\n",
        ": unknown key 'holidays' (only 'periods')",
        ": ukendt nøgle 'holidays' (kun 'periods' er tilladt)",
    ),
    "not-a-mapping": (
        "periods:\n  - vinterferie\n",
        " line 2: periods.0: expected a mapping {name, from, to, region}",
        " linje 2: periods.0: skal være en post {name, from, to, region}",
    ),
    "inverted": (
        "periods:\n  - {name: a, from: 2026-02-03, to: 2026-01-01}\n",
        " line 2: periods.0: 'to' (2026-01-01) is before 'from' (2026-02-03)",
        " linje 2: periods.0: 'to' (2026-01-01) ligger før 'from' (2026-02-03)",
    ),
    "bad-date": (
        "periods:\n  - {name: a, from: 2026-13-01, to: 2026-12-24}\n",
        " line 2: periods.0.from: expected a date such as 2027-02-13",
        " linje 2: periods.0.from: skal være en dato, fx 2027-02-13",
    ),
    "missing": (
        "periods:\n  - {from: 2026-01-01, to: 2026-01-05}\n",
        " line 2: periods.0.name: missing",
        " linje 2: periods.0.name: mangler",
    ),
    "empty-name": (
        "periods:\n  - {name: '', from: 2026-01-01, to: 2026-01-05}\n",
        " line 2: periods.0.name: empty: expected some text",
        " linje 2: periods.0.name: er tom: skal indeholde tekst",
    ),
    "a-list": (
        "periods:\n  - {name: [a, b], from: 2026-01-01, to: 2026-01-05}\n",
        " line 2: periods.0.name: expected a single value, not a list or a mapping",
        " linje 2: periods.0.name: skal være én værdi, ikke en liste eller en post",
    ),
    "unknown-region": (
        "periods:\n  - {name: a, from: 2026-01-01, to: 2026-01-05, region: dk-week7}\n",
        ": no period for region 'dk-week9' (it has: dk-week7)",
        ": ingen periode for regionen 'dk-week9' (der er perioder for: dk-week7)",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_problem_is_said_in_both_languages_with_one_code(case: str) -> None:
    text, english, danish = CASES[case]
    with pytest.raises(ConfigError) as refused:
        parse_calendar(text, "s.yaml", "dk-week9")
    assert refused.value.code == "config.seasons_file"
    assert refused.value.said(load_console_text("en")) == "season calendar s.yaml" + english
    assert refused.value.said(load_console_text("da")) == "sæsonkalenderen s.yaml" + danish


def test_a_file_that_cannot_be_read_says_why_in_words(tmp_path: Path) -> None:
    english, danish = load_console_text("en"), load_console_text("da")
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes(
        "periods:\n  - {name: påske, from: 2027-03-20, to: 2027-03-29}\n".encode("latin-1")
    )
    for path, en, da in (
        (tmp_path / "none.yaml", "there is no such file", "filen findes ikke"),
        (tmp_path, "a folder, not a file", "det er en mappe, ikke en fil"),
        (latin, "not UTF-8 text", "filen er ikke UTF-8-tekst"),
    ):
        with pytest.raises(ConfigError) as refused:
            load_calendar(path)
        assert refused.value.said(english) == f"season calendar {path}: {en}"
        assert refused.value.said(danish) == f"sæsonkalenderen {path}: {da}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "config error: callbacks.seasons_file = '{bad}': season calendar {bad} line 2: "
            "periods.0: 'to' (2026-01-01) is before 'from' (2026-02-03) (in {file} line 2) "
            "[config.seasons_file]",
        ),
        (
            "da",
            "fejl i konfigurationen: callbacks.seasons_file = '{bad}': sæsonkalenderen {bad} "
            "linje 2: periods.0: 'to' (2026-01-01) ligger før 'from' (2026-02-03) "
            "(i {file} linje 2) [config.seasons_file]",
        ),
    ],
)
def test_the_setting_names_the_calendars_problem_in_the_admins_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str, expected: str
) -> None:
    bad = tmp_path / "seasons.yaml"
    bad.write_text("periods:\n  - {name: a, from: 2026-02-03, to: 2026-01-01}\n")
    yaml = f"callbacks:\n  seasons_file: {bad}\n".encode()
    said, file = _failed(tmp_path, monkeypatch, yaml, SPILLWAY_WEB__LANGUAGE=language)
    assert said == expected.format(bad=bad, file=file)
