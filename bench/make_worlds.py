"""Write the shipped simulation worlds (configs/worlds/*.yaml) from readable shapes.

Each world is a few segments whose answer probabilities are built from
plain statements ("office workers answer 9-17, less at lunch, hardly on
Monday mornings") rather than typed-in numbers. Run it again after changing
a shape: ``python -m bench.make_worlds``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import yaml

from spillway.paths import repo_root

OUT = repo_root() / "configs" / "worlds"
# Worlds of other shapes, not shipped, written to check the policy beyond the shapes it
# was tuned on (bench/policy_bound.py runs them): the issue's own example segment, a
# segment whose hours the cold-start defaults get wrong, and one with hardly any
# customer noise.
OTHER_OUT = repo_root() / "bench" / "worlds"
# The shipped worlds at a pilot's volume (the material advises starting with 20-30
# callbacks a day): the same customers and hours, fewer requests, four weeks.
PILOT_OUT = OUT / "pilot"
PILOT_REQUESTS_PER_DAY = 24
# The shipped worlds with the customers' own signals (issue 23): a month of history
# before the start, and rates a web shop with a newsletter might see.
SIGNALS_OUT = OUT / "signals"
PILOT_DAYS = 28
# The shipped worlds with a school holiday (issue 23): the Danish summer holiday of 2026
# (configs/seasons/dk-school-holidays.yaml) in the middle of six weeks.
SEASONS_OUT = OUT / "seasons"
SUMMER_2026 = {"name": "sommerferie", "from": "2026-06-27", "to": "2026-08-09"}


def shape(
    *,
    base: float,
    hours: dict[tuple[int, int], float],
    days: dict[int, float] | None = None,
    cells: dict[tuple[int, int, int], float] | None = None,
) -> list[list[float]]:
    """7x24 answer probabilities: ``base``, times a factor per hour range, day and cell.

    ``hours``: {(from, to): factor} for every day; ``days``: {weekday: factor};
    ``cells``: {(weekday, from, to): factor}, e.g. Monday-morning meetings.
    """
    grid = np.full((7, 24), base)
    for (start, end), factor in hours.items():
        grid[:, start:end] *= factor
    for day, factor in (days or {}).items():
        grid[day, :] *= factor
    for (day, start, end), factor in (cells or {}).items():
        grid[day, start:end] *= factor
    return [[round(float(v), 4) for v in row] for row in np.clip(grid, 0, 0.95)]


OFFICE = {(0, 7): 0.1, (7, 8): 0.5, (8, 9): 0.8, (12, 13): 0.6, (17, 18): 0.7, (18, 24): 0.25}
EVENING = {(0, 8): 0.1, (8, 16): 0.35, (16, 17): 0.7, (17, 21): 1.0, (21, 22): 0.5, (22, 24): 0.1}
WEEKEND_LOW = {5: 0.5, 6: 0.3}
MONDAY_MEETINGS = {(0, 8, 10): 0.15}
MONTH: dict[str, Any] = {
    "start": "2026-03-02T00:00:00+01:00",
    "days": 28,
    "lead_half_life_hours": 24,
}
RULES: dict[str, Any] = {
    "calling_hours": {"weekdays": [8, 20], "saturday": [10, 16], "sunday": None},
    "holidays": "DK",
    "max_attempts": 6,
    "min_gap_minutes": 60,
    "deadline_hours": 4,
    "expiry_hours": 72,
    "agents": 5,
    "talk_minutes": 6,
}


def segment(name: str, count: int, matrix: list[list[float]], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "count": count,
        "timezone": extra.pop("timezone", "Europe/Copenhagen"),
        "answer_prob": matrix,
        "customer_noise": extra.pop("customer_noise", 0.3),
        "personal_peak": extra.pop("personal_peak", {"hours": 2, "boost": 3.0}),
        "requests_per_day": extra.pop("requests_per_day", 12),
        **extra,
    }


def worlds() -> dict[str, dict[str, Any]]:
    b2b = shape(base=0.55, hours=OFFICE, days=WEEKEND_LOW, cells=MONDAY_MEETINGS)
    consumer = shape(base=0.6, hours=EVENING, days={5: 0.8, 6: 0.6})
    return {
        "b2b_monday_meetings": {
            **MONTH,
            "seed": 7,
            "rules": RULES,
            "segments": [
                segment("it_services", 1500, b2b, industry="it", requests_per_day=30),
                segment(
                    "wholesale",
                    1000,
                    shape(base=0.5, hours=OFFICE, days=WEEKEND_LOW),
                    industry="wholesale",
                    requests_per_day=20,
                ),
            ],
        },
        "consumers_evening": {
            **MONTH,
            "seed": 11,
            "rules": RULES,
            "segments": [
                segment("households", 3000, consumer, industry="consumer", requests_per_day=40)
            ],
        },
        "time_zones": {
            **MONTH,
            "seed": 13,
            "rules": RULES,
            "segments": [
                segment("copenhagen", 1000, b2b, industry="it", requests_per_day=20),
                segment(
                    "new_york",
                    1000,
                    b2b,
                    industry="it",
                    timezone="America/New_York",
                    requests_per_day=20,
                ),
                segment(
                    "tokyo",
                    1000,
                    consumer,
                    industry="consumer",
                    timezone="Asia/Tokyo",
                    requests_per_day=20,
                ),
            ],
        },
        # Tuned so that `traditional` lands near the material's figures: about
        # 23% reached on the first attempt and 45% within three.
        "calibrated_traditional": {
            **MONTH,
            "seed": 17,
            "rules": RULES,
            "segments": [
                segment(
                    "mixed_b2b",
                    3000,
                    shape(base=0.16, hours=OFFICE, days=WEEKEND_LOW, cells=MONDAY_MEETINGS),
                    industry="it",
                    customer_noise=0.9,
                    requests_per_day=40,
                )
            ],
        },
        "repeat_customers_16w": {
            **MONTH,
            "days": 112,
            "seed": 19,
            "rules": RULES,
            "segments": [
                segment("key_accounts", 120, b2b, industry="it", requests_per_day=10),
                segment("shops", 120, consumer, industry="consumer", requests_per_day=6),
            ],
        },
    }


def other_shapes() -> dict[str, dict[str, Any]]:
    night = {(0, 8): 0.05, (8, 14): 0.1, (14, 17): 0.5, (17, 20): 1.0, (20, 24): 0.6}
    trades = {
        (0, 7): 0.05,
        (7, 8): 1.0,
        (8, 12): 0.2,
        (12, 13): 1.0,
        (13, 16): 0.2,
        (16, 18): 0.9,
        (18, 24): 0.3,
    }
    b2b = shape(base=0.5, hours=OFFICE, days=WEEKEND_LOW, cells=MONDAY_MEETINGS)
    return {
        # The segment of the format example: 400 IT customers, 12 requests a day.
        "issue_example": {
            **MONTH,
            "seed": 7,
            "rules": RULES,
            "segments": [segment("it_services", 400, b2b, industry="it", requests_per_day=12)],
        },
        # No industry, so the cold-start prior is office hours; they answer in the evening.
        "night_shift_no_industry": {
            **MONTH,
            "seed": 5,
            "rules": RULES,
            "segments": [
                segment(
                    "night_shift",
                    1500,
                    shape(base=0.5, hours=night, days={5: 1.2}),
                    requests_per_day=25,
                ),
                segment(
                    "office",
                    800,
                    shape(base=0.5, hours=OFFICE, days=WEEKEND_LOW),
                    requests_per_day=15,
                ),
            ],
        },
        # Tradespeople at breakfast, lunch and the end of the day; little noise, no peaks.
        "trades_low_noise": {
            **MONTH,
            "seed": 3,
            "rules": RULES,
            "segments": [
                segment(
                    "trades",
                    2000,
                    shape(base=0.6, hours=trades),
                    customer_noise=0.1,
                    personal_peak=None,
                    requests_per_day=30,
                )
            ],
        },
    }


def at_pilot_volume(
    world: dict[str, Any], per_day: float = PILOT_REQUESTS_PER_DAY, days: int = PILOT_DAYS
) -> dict[str, Any]:
    """``world`` with ``per_day`` requests a day in all (split as its segments' shares), over
    ``days`` days; its customers, hours and rules unchanged."""
    total = sum(s["requests_per_day"] for s in world["segments"])
    segments = [
        {**s, "requests_per_day": round(s["requests_per_day"] * per_day / total, 2)}
        for s in world["segments"]
    ]
    return {**world, "days": days, "segments": segments}


def with_signals(world: dict[str, Any], block: dict[str, float]) -> dict[str, Any]:
    """``world`` with the same ``signals:`` block in every segment."""
    return {**world, "segments": [{**s, "signals": dict(block)} for s in world["segments"]]}


# The share of requests whose caller names a window ("this afternoon", "tomorrow
# morning"). A guess, not a measurement: the bot asks every caller "When suits you best?
# For example this afternoon, tomorrow morning, or any time" (prompts callback_confirm;
# the two examples are the first the calling rules allow: bot/dialogue/time_examples.py),
# and a callback form can ask the same; many answer "any time" or nothing the bot takes
# as a time, and imported requests seldom carry one. A quarter is a middle figure that
# makes the windows matter to the policy; a pilot's requests with a not_after measure it.
ASKS_WINDOW = 0.25


def with_windows(world: dict[str, Any], share: float = ASKS_WINDOW) -> dict[str, Any]:
    """``world`` with ``share`` of each segment's callers naming a window (``asks_window``)."""
    return {**world, "segments": [{**s, "asks_window": share} for s in world["segments"]]}


def signal_worlds() -> dict[str, dict[str, Any]]:
    """Office customers visit the site about twice a week and open a weekly newsletter
    or two, mostly at hours they would also take a call; consumers browse more, on
    the phone, in the evening. A third of requests came through the overflow bot; a
    quarter of callers name a window ("this afternoon", "tomorrow morning")."""
    office = {
        "history_days": 28,
        "web_visits_per_week": 2.0,
        "email_opens_per_week": 1.5,
        "fidelity": 0.8,
        "inbound_call_share": 0.3,
    }
    consumer = {
        "history_days": 28,
        "web_visits_per_week": 2.5,
        "email_opens_per_week": 1.0,
        "app_opens_per_week": 1.0,
        "fidelity": 0.8,
        "inbound_call_share": 0.3,
    }
    shipped = worlds()
    return {
        "b2b_monday_meetings": with_windows(with_signals(shipped["b2b_monday_meetings"], office)),
        "calibrated_traditional": with_windows(
            with_signals(shipped["calibrated_traditional"], office)
        ),
        "consumers_evening": with_windows(with_signals(shipped["consumers_evening"], consumer)),
    }


def season_worlds() -> dict[str, dict[str, Any]]:
    """B2B customers answer half as often in the summer holiday (IT services: many are
    away) and wholesale 0.7 as often (the warehouse keeps going); consumers a little
    more often (at home). The policies know the holiday's dates, never its factors."""
    shipped = worlds()

    def holiday(world: dict[str, Any], factors: dict[str, float]) -> dict[str, Any]:
        segments = [
            {**s, "seasons": [{**SUMMER_2026, "answer_factor": factors[s["name"]]}]}
            for s in world["segments"]
        ]
        return {**world, "start": "2026-06-15T00:00:00+02:00", "days": 42, "segments": segments}

    return {
        "b2b_summer_holiday": holiday(
            shipped["b2b_monday_meetings"], {"it_services": 0.5, "wholesale": 0.7}
        ),
        "consumers_summer_holiday": holiday(shipped["consumers_evening"], {"households": 1.2}),
    }


def pilot_worlds() -> dict[str, dict[str, Any]]:
    return {name: at_pilot_volume(world) for name, world in worlds().items()}


def main() -> None:
    header = "# Generated by `python -m bench.make_worlds`; edit the shapes there.\n"
    made_all = (
        (OUT, worlds()),
        (OTHER_OUT, other_shapes()),
        (PILOT_OUT, pilot_worlds()),
        (OTHER_OUT / "pilot", {n: at_pilot_volume(w) for n, w in other_shapes().items()}),
        (SIGNALS_OUT, signal_worlds()),
        (SEASONS_OUT, season_worlds()),
    )
    for out, made in made_all:
        out.mkdir(parents=True, exist_ok=True)
        for name, world in made.items():
            path = out / f"{name}.yaml"
            path.write_text(header + yaml.safe_dump(world, sort_keys=False, width=200))
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
