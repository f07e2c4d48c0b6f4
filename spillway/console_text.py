"""The operations console's words: ``console.yaml`` in each language pack.

Every label, heading, button, message and chart legend the console shows is a
key of ``spillway/languages/<code>/console.yaml`` (and, under ``cli``, every word the
admin commands `spillway callbacks` and `spillway gdpr` print): a nested mapping whose
leaves are strings, read as dotted keys (``overview.title``). The English pack
is the reference: another pack must have exactly its keys, with the same
``{placeholders}`` in each, or :func:`load_console_text` raises a
:class:`ConfigError` naming the key, so a missing word is an error when the
pack is loaded, never a blank on a page. Asking a loaded text for a key it
does not have is a :class:`ConfigError` too. A wording that counts something has
two forms, ``key.one`` and ``key.other`` (:meth:`ConsoleText.count`); nouns
counted inside a sentence are under ``count`` (``count.rows``: "1 row", "2 rows").

The console speaks :func:`console_language`: ``web.language`` when set, else
the shop's language (``shop.language``, the bot's pack). Dates keep the ISO
order in every language (Denmark writes dates the ISO way too); weekday and
month names are the pack's own (``reading.yaml``), and numbers take the
pack's decimal mark and percent format.
"""

from __future__ import annotations

import functools
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from spillway.errors import ConfigError
from spillway.language_pack import DEFAULT_LANGUAGE, load_pack, read_pack_file
from spillway.settings import Settings

FILENAME = "console.yaml"


# (one unit in seconds, used below this many seconds, its pack key), smallest first.
DURATION_UNITS = (
    (1, 120, "format.duration_s"),
    (60, 7200, "format.duration_min"),
    (3600, 172800, "format.duration_h"),
)


def console_language(settings: Settings) -> str:
    """The console's language: ``web.language`` when set, else the shop's (the bot's pack)."""
    return settings.web.language or settings.shop.language


def _placeholders(text: str) -> frozenset[str]:
    return frozenset(f for _, f, _, _ in string.Formatter().parse(text) if f)


def _flatten(data: Mapping[str, Any], where: str, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, where, name + "."))
        elif isinstance(value, str):
            flat[name] = value
        else:  # a bare yes/no/number in YAML: the wording must be quoted
            raise ConfigError(f"{where}: {name!r} must be a (quoted) string")
    return flat


@dataclass(frozen=True, slots=True)
class ConsoleText:
    """One language's console wording, and how it writes numbers and dates."""

    code: str  # "da": the page's <html lang>
    strings: Mapping[str, str]  # dotted key -> wording with {placeholders}
    weekdays: tuple[str, ...]  # Monday first, from the pack's reading.yaml
    months: tuple[str, ...]  # January first

    def __call__(self, key: str, /, **values: object) -> str:
        """The wording of ``key`` with ``values`` filled in; ConfigError for an unknown key."""
        try:
            text = self.strings[key]
        except KeyError:
            raise ConfigError(
                f"language pack {self.code!r}: {FILENAME} has no key {key!r}"
            ) from None
        return text.format(**values) if values else text

    def count(self, key: str, n: int, /, **values: object) -> str:
        """The wording of ``key`` for ``n`` things, ``n`` filled in: ``key.one`` when ``n``
        is 1, else ``key.other`` (each pack words both; no "request(s)"), ``n`` written
        with the language's thousands mark ("1.234 rækker")."""
        return self(f"{key}.{'one' if n == 1 else 'other'}", n=self.number(n), **values)

    def language_name(self, code: str) -> str:
        """A language's name in these words ("Danish", "dansk" for ``da``), as a person
        calls it; the code itself for a language the pack does not name."""
        return self.strings.get(f"cli.language_name.{code}", code)

    def group(self, prefix: str) -> dict[str, str]:
        """The keys under ``prefix`` (without it): the words a script is given."""
        start = prefix + "."
        return {k[len(start) :]: v for k, v in self.strings.items() if k.startswith(start)}

    def json(self, prefix: str) -> str:
        """:meth:`group` as JSON safe inside a ``<script type="application/json">``."""
        return json.dumps(self.group(prefix), ensure_ascii=False).replace("<", "\\u003c")

    def marked(self, written: str) -> str:
        """A number Python wrote with its marks ("1,234.5") in the language's ("1.234,5")."""
        return self.strings["format.decimal_mark"].join(
            part.replace(",", self.strings["format.thousands_mark"]) for part in written.split(".")
        )

    def number(self, value: float, digits: int = 0) -> str:
        """``value`` with ``digits`` decimals and the language's marks: thousands grouped
        ("1.234,5" in Danish, "1,234.5" in English)."""
        return self.marked(f"{value:,.{digits}f}")

    def money(self, amount: float | None, currency: str) -> str:
        """An amount with two decimals, the language's marks and its place for the currency
        ("1.234,50 DKK", "DKK 1,234.50"); None: "-"."""
        if amount is None:
            return "-"
        return self.strings["format.money"].format(amount=self.number(amount, 2), currency=currency)

    def duration(self, seconds: float) -> str:
        """A time span as a person reads it: seconds up to two minutes, then minutes up to
        two hours, hours up to two days, then days ("379 s" is "6 min")."""
        for unit_s, below_s, key in DURATION_UNITS:
            if seconds < below_s:
                return self.strings[key].format(n=self.number(seconds / unit_s))
        return self.strings["format.duration_d"].format(n=self.number(seconds / 86400))

    def call_length(self, seconds: float) -> str:
        """How long a call lasted, to the second, as a person reads it: "45 s",
        "2 min 05 s", "1 h 02 min" (Danish "45 sek.", "2 min. 5 sek.", "1 t. 2 min.");
        never below 0 (a clock that stepped back)."""
        total = max(0, round(seconds))
        pad = int(self.strings["format.length_pad"])
        if total < 60:
            return self.strings["format.length_s"].format(s=total)
        if total < 3600:
            minutes, secs = divmod(total, 60)
            return self.strings["format.length_min"].format(m=minutes, s=f"{secs:0{pad}d}")
        hours, rest = divmod(total, 3600)
        return self.strings["format.length_h"].format(
            h=self.number(hours), m=f"{rest // 60:0{pad}d}"
        )

    def elapsed(self, seconds: float) -> str:
        """A short span to the tenth of a second below a minute ("1,2 sek.", "1.2 s"),
        longer ones as :meth:`call_length` ("2 min. 5 sek."): a call's events, not ms."""
        if round(seconds, 1) < 60:
            return self.strings["format.length_s"].format(s=self.number(max(0.0, seconds), 1))
        return self.call_length(seconds)

    def percent(self, share: float | None, digits: int = 0) -> str:
        """A share (0.6) as the language writes a percentage ("60%", "60 %"); None: "-"."""
        if share is None:
            return "-"
        return self.strings["format.percent"].format(value=self.number(share * 100, digits))

    def weekday(self, index: int, short: bool = False) -> str:
        """The name of weekday ``index`` (0: Monday); ``short``: its first three letters."""
        name = self.weekdays[index % 7]
        return name[:3] if short else name

    def clock(self, hour: int, minute: int = 0, second: int | None = None) -> str:
        """A time of day as this language writes it ("09.00", "09:00"): the pack's own
        (:meth:`spillway.language_pack.LanguagePack.clock`), so that the console, the
        admin commands and the customer's explanation write hours one way."""
        return load_pack(self.code).clock(hour, minute, second)

    def when(self, ts: float | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """``ts`` in ``zone`` by ``fmt``, the day and month names in this language; None: "-".

        ``%R`` and ``%T`` (the time of day, with seconds) are written on the language's
        clock (:meth:`clock`: "kl. 09.00" in a Danish sentence); ``%H:%M`` stays as
        written, for the ISO-ordered dates of tables and exports."""
        if not ts:
            return "-"
        moment = datetime.fromtimestamp(ts, ZoneInfo(zone))
        words = {
            "%A": self.weekdays[moment.weekday()],
            "%a": self.weekdays[moment.weekday()][:3],
            "%B": self.months[moment.month - 1],
            "%b": self.months[moment.month - 1][:3],
            "%R": self.clock(moment.hour, moment.minute),
            "%T": self.clock(moment.hour, moment.minute, moment.second),
        }
        for code, word in words.items():
            fmt = fmt.replace(code, word.replace("%", "%%"))
        return moment.strftime(fmt)


def _check_against(reference: Mapping[str, str], strings: Mapping[str, str], where: str) -> None:
    missing = sorted(set(reference) - set(strings))
    if missing:
        raise ConfigError(f"{where}: the key {missing[0]!r} is missing ({len(missing)} in all)")
    extra = sorted(set(strings) - set(reference))
    if extra:
        raise ConfigError(f"{where}: the key {extra[0]!r} is not in the {DEFAULT_LANGUAGE} pack")
    for key, text in strings.items():
        if _placeholders(text) != _placeholders(reference[key]):
            raise ConfigError(
                f"{where}: {key!r} must fill in {sorted(_placeholders(reference[key]))}"
            )


def _strings(code: str) -> dict[str, str]:
    where = f"language pack {code!r}: {FILENAME}"
    return _flatten(read_pack_file(code, FILENAME), where)


@functools.cache
def load_console_text(code: str) -> ConsoleText:
    """The console's wording in pack ``code`` (read once), checked against the English
    pack's keys and placeholders; ConfigError naming the file and the key."""
    pack = load_pack(code)  # an unknown language is named here
    strings = _strings(code)
    if code != DEFAULT_LANGUAGE:
        _check_against(_strings(DEFAULT_LANGUAGE), strings, f"language pack {code!r}: {FILENAME}")
    return ConsoleText(
        code=code,
        strings=MappingProxyType(strings),
        weekdays=pack.reading.weekdays,
        months=pack.reading.months,
    )
