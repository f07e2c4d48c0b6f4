"""The ``callbacks`` section of the settings: how the scheduler dials (the dial string,
the calling rules, the timing policy and its pilot, ROI and evidence thresholds, the
customer's signals). The sandbox's dial string lives here too, so that host mode can
refuse it (:class:`spillway.settings.Settings`).
"""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from spillway.caller_id import SANDBOX_CALLER_ID
from spillway.config_values import choices
from spillway.errors import ConfigError
from spillway.seasons import load_calendar
from spillway.settings_types import (
    DialledCountry,
    ExpandedPath,
    HolidayCountry,
    HoursWindow,
    Section,
    TimeZoneName,
    hours_shape,
)

SANDBOX_CUSTOMER_CONTEXT = "spillway-sim-customer"
# callbacks.patience_hours by default: measured on the shipped worlds (docs/SIMULATION.md,
# "Patience: first-attempt contact against time to contact").
DEFAULT_PATIENCE_HOURS = 24.0
PATIENCE_OLDER_NAME = "lead_half_life_hours"
SANDBOX_DIAL_STRING = f"Local/{{digits}}@{SANDBOX_CUSTOMER_CONTEXT}"


DIAL_FIELDS = ("e164", "digits")


def dial_string_check(value: str) -> str:
    """A dial string names the customer's number once or more, by ``{e164}`` or
    ``{digits}`` only: any other placeholder would fail at dial time, and none at all
    would dial the same number for every customer."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as exc:  # Python's English ("Single '}' ..."): a brace, always
        raise PydanticCustomError(
            "dial_string",
            "a dial string such as PJSIP/{e164}@my-trunk, each brace closed and a brace "
            "meant as a character doubled",
        ) from exc
    unknown = sorted({f for f in fields if f not in DIAL_FIELDS})
    if unknown:
        raise PydanticCustomError(
            "dial_string_placeholder",
            "a dial string with the customer's number as {e164} or {digits}, "
            "e.g. PJSIP/{e164}@my-trunk ({field} is neither)",
            {"field": f"{{{unknown[0]}}}"},
        )
    if not fields:
        raise PydanticCustomError(
            "dial_string_without_number",
            "a dial string with the customer's number as {e164} or {digits}, "
            "e.g. PJSIP/{e164}@my-trunk (it has neither)",
        )
    return value


# The industries with a cold-start shape of their own
# (scheduler.timing.contact_model.cold_start_prior): evening answers for consumers, no
# Monday-morning meetings in IT. Any other segment starts from ordinary business hours.
SEGMENT_INDUSTRIES = ("consumer", "it")


def industry_check(value: str) -> str:
    """An industry the contact model has a shape for: any other would be ignored unseen."""
    if value not in SEGMENT_INDUSTRIES:
        *head, last = (repr(name) for name in SEGMENT_INDUSTRIES)
        raise PydanticCustomError(
            "not_an_industry",
            "{choices}: the industries with a cold-start shape of their own (a segment "
            "left out starts from ordinary business hours)",
            {"choices": choices(f"{', '.join(head)} or {last}")},
        )
    return value


def sandbox_only_dial_string(dial_string: str) -> bool:
    """Whether ``dial_string`` dials into a context only the sandbox has."""
    return f"@{SANDBOX_CUSTOMER_CONTEXT}" in dial_string.replace(" ", "")


# The default agent hour: a Danish contact-centre agent's, all costs included (wage,
# pension, holiday pay, premises, tools: about 300-400 DKK), in DKK. The amount is in
# shop.currency like every pilot amount; a shop in another currency sets its own, and the
# pilot report says so while it has not (PilotRoiSettings.staff_cost_in_wrong_currency).
DEFAULT_STAFF_COST_PER_HOUR = 350.0
DEFAULT_STAFF_COST_CURRENCY = "DKK"


class PilotRoiSettings(Section):
    """What a callback costs and earns, for the pilot's ROI (`spillway report pilot`).
    Every amount is in ``shop.currency`` (Spillway converts nothing)."""

    # An agent's hour, all costs included, in shop.currency (default: 350 DKK).
    staff_cost_per_hour: float = Field(DEFAULT_STAFF_COST_PER_HOUR, ge=0)
    minutes_per_attempt: float = Field(6.75, ge=0)  # agent time one attempt takes
    lead_value: float = Field(0.0, ge=0)  # what reaching a customer is worth; 0: not counted
    investment: float = Field(0.0, ge=0)  # what the predicted timing cost over the pilot

    def staff_cost_in_wrong_currency(self, currency: str) -> bool:
        """Whether ``staff_cost_per_hour`` is the default (an amount in DKK) while the shop's
        money is in ``currency``, another one: the costs would be DKK figures mislabelled."""
        return (
            "staff_cost_per_hour" not in self.model_fields_set
            and currency != DEFAULT_STAFF_COST_CURRENCY
        )


class PilotEvidenceSettings(Section):
    """The effect the pilot is sized to detect, and how sure it must be."""

    alpha: float = Field(0.05, gt=0, lt=0.5)  # the intervals are 1 - alpha (95 %)
    power: float = Field(0.8, gt=0.5, lt=1)
    min_effect_points: float = Field(5.0, gt=0, le=100)  # contact rates, percentage points
    min_effect_attempts: float = Field(0.3, gt=0)  # attempts per contact
    min_effect_hours: float = Field(2.0, gt=0)  # hours to first contact


class PilotSettings(Section):
    """A pilot of the predicted timing against the conventional one, split at intake,
    and what it is measured and costed by (`spillway report pilot`)."""

    # The share of new requests drawn to the predicted timing (the rest conventional),
    # per request from a hash of its id; null: no pilot (callbacks.policy decides).
    share_predicted: float | None = Field(None, ge=0, le=1)
    # Only requests of these queues or teams (the door's queue, else the request's
    # segment, else queue.name); empty: every request.
    queues: tuple[str, ...] = ()
    roi: PilotRoiSettings = PilotRoiSettings()
    evidence: PilotEvidenceSettings = PilotEvidenceSettings()


class CallbackSettings(Section):
    """The callback scheduler: how it dials, and the calling rules it never breaks."""

    # What Asterisk dials for a customer: {e164} (+4520123456) or {digits} (4520123456).
    # The sandbox's simulated customers by default; with pbx.mode: host a real trunk,
    # e.g. PJSIP/{e164}@my-trunk (refused there: the sandbox's context, see below).
    dial_string: Annotated[str, AfterValidator(dial_string_check)] = SANDBOX_DIAL_STRING
    # What customers see: "Name <number>" or a number, a valid one of shop.country or
    # international (checked in spillway.settings, which knows the country and the mode).
    caller_id: str = SANDBOX_CALLER_ID
    ring_s: int = Field(30, ge=5, le=180)
    # customer: ring the customer, then queue them for an agent (ahead of callers);
    # agent: queue for an agent first, then ring the customer while the agent listens.
    dial_first: Literal["customer", "agent"] = "customer"
    # How long an answered customer (or, agent first, the attempt) waits for an agent.
    agent_wait_s: int = Field(60, ge=5, le=600)
    # Asterisk's AMD() on the customer's answer: an answering machine is recorded as
    # "machine", hung up and tried again later (needs app_amd).
    amd: bool = False
    # Whisper what the callback is about to the agent who takes it, before the
    # customer is put through (the customer waits the 2 s it takes). Off: the
    # agent has the SPILLWAY_* variables and the SpillwayHandoff event.
    agent_whisper: bool = False
    # Calling hours in the customer's local time, [start, end); null: no calls that day.
    weekdays: HoursWindow = (8.0, 20.0)
    saturday: HoursWindow = (10.0, 16.0)
    sunday: HoursWindow = None
    holidays: HolidayCountry | None = "DK"  # a country code of the holidays package; null: none
    # Where callbacks may dial: ISO country codes, "001" for satellite and other
    # non-geographic services; empty: the shop's country (shop.country) only.
    # Any other number is recorded as invalid_number at every door, and checked
    # again right before dialling.
    allowed_countries: tuple[DialledCountry, ...] = ()
    extra_holidays: tuple[date, ...] = ()
    max_attempts: int = Field(6, ge=1)
    max_per_number_day: int = Field(3, ge=1)
    max_per_number_week: int = Field(8, ge=1)
    min_gap_minutes: float = Field(60, ge=0)
    retry_backoff_minutes: float = Field(120, ge=0)
    deadline_business_hours: float = Field(4, gt=0)
    expiry_hours: float = Field(72, gt=0)
    # Callbacks in flight beyond the agents that are free right now (0: never more).
    pacing: int = Field(0, ge=0)
    max_in_flight: int = Field(20, ge=1)
    poll_interval_s: float = Field(2.0, gt=0, le=60)
    # A request claimed by a dialer that then went silent is taken up again after this.
    lease_timeout_s: float = Field(600, gt=0)
    default_timezone: TimeZoneName = "Europe/Copenhagen"
    # When to call: "predicted" (the contact model, explored with Thompson
    # sampling, inside the rules; the conventional rule whenever the model is
    # missing, stale or fails) or "conventional" (as soon as allowed, then back-off;
    # stored and simulated under its older name "traditional", also accepted here);
    # "shadow": the conventional plan is dialled and the predicted one logged beside it.
    policy: Literal["predicted", "traditional", "shadow"] = "predicted"
    # A pilot overrides the policy for the requests it covers (docs: configs/spillway.yaml).
    pilot: PilotSettings = PilotSettings()
    # How much first-attempt contact is worth against time: the predicted policy waits
    # for a likelier hour only if the chance of an answer grows enough to make up for the
    # wait, and a contact's worth halves every patience_hours (a wait of N hours must double
    # the chance). Shorter: sooner calls, fewer answered at the first attempt. Older name:
    # lead_half_life_hours (still accepted).
    patience_hours: float = Field(
        DEFAULT_PATIENCE_HOURS,
        gt=0,
        le=24 * 30,
        validation_alias=AliasChoices("patience_hours", PATIENCE_OLDER_NAME),
    )
    model_refit_minutes: float = Field(30, gt=0)
    model_max_age_hours: float = Field(24, gt=0)  # older than this: stale, conventional rule
    # The customer's own signals (web visits, e-mail opens, calls) tilt their predicted
    # hours: a signal's weight halves every N days, and none counts past the horizon;
    # strength: how far they move the model (0: not at all, 1: as the evidence says).
    signal_half_life_days: float = Field(14, gt=0)
    signal_horizon_days: float = Field(90, gt=0, le=3660)
    signal_strength: float = Field(1.0, ge=0, le=5)
    # School holidays and other seasons (configs/seasons/dk-school-holidays.yaml): the
    # contact model learns how much each segment answers in them; never a calling rule.
    # season_region picks the periods that carry a region (null: only those without).
    season_region: str | None = Field(None, min_length=1, max_length=64)
    seasons_file: ExpandedPath | None = None
    # Industry of each segment, for the model's cold-start prior: one of SEGMENT_INDUSTRIES
    # ("consumer", "it"); a segment left out starts from ordinary business hours.
    segment_industry: dict[str, Annotated[str, AfterValidator(industry_check)]] = Field(
        default_factory=dict
    )
    # Where the DTMF menu's callback script leaves requests while `spillway serve`
    # is down, as this host sees it; null: the sandbox's folder, or
    # <data_dir>/spool/callbacks. The scheduler imports from here.
    spool_dir: ExpandedPath | None = None
    # The same folder as Asterisk sees it, when that differs (a container, a chroot).
    pbx_spool_dir: str | None = None
    # The script as Asterisk runs it: a name in its agi-bin folder, or a full path.
    spool_script: str = "spillway-callback-spool.py"

    @model_validator(mode="before")
    @classmethod
    def _older_patience_name(cls, data: object) -> object:
        # lead_half_life_hours was this setting's name before it said what it is for.
        if isinstance(data, dict) and PATIENCE_OLDER_NAME in data and "patience_hours" in data:
            raise PydanticCustomError(
                "patience_twice",
                "patience_hours alone: its older name lead_half_life_hours is set too; "
                "keep patience_hours",
                {
                    "key": "callbacks.patience_hours",
                    "value": data["patience_hours"],
                    "with_keys": f"callbacks.{PATIENCE_OLDER_NAME}",
                },
            )
        return data

    @field_validator("policy", mode="before")
    @classmethod
    def _policy_word(cls, value: object) -> object:
        # Every screen says "conventional"; an admin who writes what they read is right.
        if value == "conventional":
            return "traditional"
        if value not in ("predicted", "traditional", "shadow"):
            raise PydanticCustomError(
                "not_a_policy",
                "'predicted', 'conventional' (also called 'traditional') or 'shadow'",
            )
        return value

    @field_validator("seasons_file")
    @classmethod
    def _seasons(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        # Read once here, so a bad calendar stops the start with its line and key.
        if value is not None:
            try:
                load_calendar(value, info.data.get("season_region"))
            except ConfigError as exc:  # its Wording, said in the admin's language
                problem = exc.wording or exc.message
                raise PydanticCustomError(
                    "seasons_file", "{problem}", {"problem": problem}
                ) from None
        return value

    @field_validator("weekdays", "saturday", "sunday", mode="before")
    @classmethod
    def _window_shape(cls, value: object) -> object:
        return hours_shape(value)

    @field_validator("weekdays", "saturday", "sunday")
    @classmethod
    def _window(cls, value: HoursWindow) -> HoursWindow:
        if value is not None and not 0 <= value[0] < value[1] <= 24:
            raise PydanticCustomError(
                "hours_out_of_day", "[start, end) hours with 0 <= start < end <= 24"
            )
        return value
