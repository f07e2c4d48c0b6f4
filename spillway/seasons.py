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

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from spillway.errors import ConfigError


class _Period(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(min_length=1, max_length=64)
    first: date = Field(alias="from")
    last: date = Field(alias="to")
    region: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _ordered(self) -> _Period:
        if self.last < self.first:
            raise ValueError(f"'to' ({self.last}) is before 'from' ({self.first})")
        return self


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
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"season calendar {source}{where}: invalid YAML: {problem}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("periods"), list):
        raise ConfigError(
            f"season calendar {source} line 1: expected 'periods:' with a list of "
            "{name, from, to, region} entries"
        )
    extra = sorted(set(data) - {"periods"})
    if extra:
        raise ConfigError(f"season calendar {source}: unknown key {extra[0]!r} (only 'periods')")
    items = [] if root is None else next(v for k, v in root.value if k.value == "periods").value
    periods: list[SeasonPeriod] = []
    for index, (raw, node) in enumerate(zip(data["periods"], items, strict=True)):
        line = node.start_mark.line + 1
        if not isinstance(raw, dict):
            raise ConfigError(
                f"season calendar {source} line {line}: periods.{index}: "
                "expected a mapping {name, from, to, region}"
            )
        try:
            checked = _Period.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            key = ".".join(str(part) for part in error["loc"])
            where = f"periods.{index}.{key}" if key else f"periods.{index}"
            raise ConfigError(
                f"season calendar {source} line {line}: {where}: {error['msg']}"
            ) from None
        periods.append(SeasonPeriod(checked.name, checked.first, checked.last, checked.region))
    calendar = SeasonCalendar(tuple(periods), region)
    if region is not None and calendar.regions() and region not in calendar.regions():
        known = ", ".join(sorted(calendar.regions()))
        raise ConfigError(
            f"season calendar {source}: no period for region {region!r} (it has: {known})"
        )
    return calendar


@functools.lru_cache(maxsize=8)
def load_calendar(path: Path, region: str | None = None) -> SeasonCalendar:
    """The calendar in the file at ``path`` (read once per path and region)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"season calendar {path}: cannot read it: {exc}") from exc
    return parse_calendar(text, str(path), region)


def calendar_for(path: Path | None, region: str | None) -> SeasonCalendar:
    """``callbacks.seasons_file`` and ``callbacks.season_region`` as a calendar (none: empty)."""
    return NO_SEASONS if path is None else load_calendar(path, region)
