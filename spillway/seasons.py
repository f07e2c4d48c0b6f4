"""Seasons: named periods of dates (school holidays, a trade's closed weeks) per region.

A season calendar is a YAML file of periods, each with a ``name``, the first
and last day (``from`` and ``to``, both inclusive, in the customer's local
dates) and an optional ``region``; a period without a region holds for every
region (see configs/seasons/dk-school-holidays.yaml)::

    periods:
      - {name: vinterferie, from: 2027-02-13, to: 2027-02-21, region: dk-week7}
      - {name: sommerferie, from: 2027-06-26, to: 2027-08-08}

A season is never a calling rule: no call is refused because of one. The
contact model learns from the data how much more or less a segment answers
in each season (:mod:`scheduler.timing.contact_model`), and the predicted
policy weighs its candidate hours by that (:mod:`scheduler.timing.slot_policy`).

:func:`load_calendar` reads a file once (settings check it at load:
``callbacks.seasons_file``); a bad period names its line and key.
"""

from __future__ import annotations

import errno
import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spillway.errors import ConfigError
from spillway.wording import Wording, worded

# Every refusal of a calendar has this code: the setting that names the file.
CODE = "config.seasons_file"
# pydantic's refusal of a period's value -> the pack's words for it (season_calendar.period.*);
# any other kind is "not_a_value". Their words replace pydantic's English.
_PERIOD_PROBLEMS = {
    "missing": "missing",
    "extra_forbidden": "unknown_key",
    "string_too_short": "empty",
    "string_too_long": "too_long",
    "date_parsing": "not_a_date",
    "date_type": "not_a_date",
    "date_from_datetime_parsing": "not_a_date",
    "date_from_datetime_inexact": "not_a_date",
}


def _refused(words: str, /, **values: object) -> ConfigError:
    """The calendar refused, in the packs' words (``season_calendar.<words>``)."""
    return ConfigError(worded(f"season_calendar.{words}", **values), code=CODE)


class _Period(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(min_length=1, max_length=64)
    first: date = Field(alias="from")
    last: date = Field(alias="to")
    region: str | None = Field(None, min_length=1, max_length=64)


@dataclass(frozen=True, slots=True)
class SeasonPeriod:
    """One named period, ``first`` to ``last`` inclusive; ``region`` None: every region."""

    name: str
    first: date
    last: date
    region: str | None = None

    def covers(self, day: date, region: str | None) -> bool:
        if self.region is not None and self.region != region:
            return False
        return self.first <= day <= self.last


@dataclass(frozen=True, slots=True)
class SeasonCalendar:
    """The configured periods; :meth:`season_on` answers which one a local date is in."""

    periods: tuple[SeasonPeriod, ...] = ()
    region: str | None = None  # the region asked about when none is given

    def season_on(self, day: date, region: str | None = None) -> str | None:
        """The name of the first period covering ``day`` in ``region`` (or the
        calendar's own region); None outside every period."""
        where = region if region is not None else self.region
        for period in self.periods:
            if period.covers(day, where):
                return period.name
        return None

    def regions(self) -> frozenset[str]:
        return frozenset(p.region for p in self.periods if p.region is not None)


NO_SEASONS = SeasonCalendar()


def parse_calendar(text: str, source: str, region: str | None = None) -> SeasonCalendar:
    """The calendar in ``text`` (YAML); a :class:`ConfigError` names ``source``, the line
    and the key of the first bad period."""
    try:
        # Every value as text (BaseLoader): the dates are checked below, where a bad one
        # is named by its key, not by PyYAML's own date parser.
        root = yaml.compose(text, Loader=yaml.BaseLoader)
        data: Any = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        # PyYAML's own words are English: the line it stopped at says where to look.
        mark = getattr(exc, "problem_mark", None)
        if mark is None:
            raise _refused("not_yaml", source=source) from exc
        raise _refused("not_yaml_at", source=source, line=mark.line + 1) from exc
    if not isinstance(data, dict) or not isinstance(data.get("periods"), list):
        raise _refused("no_periods", source=source)
    extra = sorted(set(data) - {"periods"})
    if extra:
        raise _refused("unknown_key", source=source, name=repr(extra[0]))
    items = [] if root is None else next(v for k, v in root.value if k.value == "periods").value
    periods: list[SeasonPeriod] = []
    for index, (raw, node) in enumerate(zip(data["periods"], items, strict=True)):
        line = node.start_mark.line + 1
        where = f"periods.{index}"
        if not isinstance(raw, dict):
            raise _refused("not_a_mapping", source=source, line=line, where=where)
        try:
            checked = _Period.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            key = ".".join(str(part) for part in error["loc"])
            problem = _PERIOD_PROBLEMS.get(error["type"], "not_a_value")
            raise _refused(
                "period",
                source=source,
                line=line,
                where=f"{where}.{key}" if key else where,
                problem=Wording(f"season_calendar.problem.{problem}"),
            ) from None
        if checked.last < checked.first:
            first, last = checked.first.isoformat(), checked.last.isoformat()
            inverted = worded("season_calendar.problem.inverted", first=first, last=last)
            raise _refused("period", source=source, line=line, where=where, problem=inverted)
        periods.append(SeasonPeriod(checked.name, checked.first, checked.last, checked.region))
    calendar = SeasonCalendar(tuple(periods), region)
    if region is not None and calendar.regions() and region not in calendar.regions():
        known = ", ".join(sorted(calendar.regions()))
        raise _refused("no_region", source=source, region=repr(region), known=known)
    return calendar


@functools.lru_cache(maxsize=8)
def load_calendar(path: Path, region: str | None = None) -> SeasonCalendar:
    """The calendar in the file at ``path`` (read once per path and region)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _refused("not_utf8", source=path) from exc
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    return parse_calendar(text, str(path), region)


def _unreadable(path: Path, exc: OSError) -> ConfigError:
    """Why the file cannot be read, in words; a rarer error by its errno's name (EIO),
    which reads the same in every language, where the system's words are English."""
    if isinstance(exc, FileNotFoundError):
        return _refused("not_found", source=path)
    if isinstance(exc, IsADirectoryError):
        return _refused("a_folder", source=path)
    if isinstance(exc, PermissionError):
        return _refused("not_permitted", source=path)
    name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    return _refused("unreadable", source=path, errno=name)


def calendar_for(path: Path | None, region: str | None) -> SeasonCalendar:
    """``callbacks.seasons_file`` and ``callbacks.season_region`` as a calendar (none: empty)."""
    return NO_SEASONS if path is None else load_calendar(path, region)
