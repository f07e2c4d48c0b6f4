"""The simulation report's own words in one language: its page, its charts, its policies.

`spillway simulate report` writes an HTML page and PNG charts for a team lead
in the shop's language; :func:`report_words` gathers every word they show
from the language pack (``sim_report_*``, ``sim_chart_*`` in ``prompts.yaml``).
The policies are named as the console names them (``simulated_reason.policy``
in ``console.yaml``), so a simulated run reads "konventionel" in the report
and on the request it stored; numbers and percentages are written as the
console writes them (:class:`spillway.console_text.ConsoleText`), decimal
comma and all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from spillway.console_text import ConsoleText, load_console_text
from spillway.language_pack import LanguagePack

POLICY_KEY = "simulated_reason.policy."


def console(pack: LanguagePack) -> ConsoleText:
    """The console's words and number formats in the pack's language."""
    return load_console_text(pack.code)


def policy_name(pack: LanguagePack, policy: str) -> str:
    """A policy (``traditional``, ``predicted``, ...) as the console names it; a name the
    pack does not know (a bench's own) keeps its key."""
    return console(pack).strings.get(POLICY_KEY + policy, policy)


def runs_words(pack: LanguagePack, seeds: Sequence[int]) -> str:
    """The seeds a table pools over ("seeds 1, 2, 3", "kørsler nr. 1, 2, 3")."""
    key = "sim_runs_one" if len(seeds) == 1 else "sim_runs_other"
    return pack.say(key, seeds=", ".join(str(s) for s in seeds))


@dataclass(frozen=True, slots=True)
class ReportWords:
    """Every word of the page and its charts but the tables' (those are the views')."""

    lang: str  # the page's <html lang>
    decimal_mark: str  # the console's, for the charts' axes ("2,5")
    title: str
    heading: str
    policies_note: str  # what each way of planning does
    no_reliability: str
    policy_names: Mapping[str, str]  # policy key -> its name
    weekdays: tuple[str, ...]  # short, Monday first
    unit_percent: str
    unit_hours: str
    learning_first: str
    learning_contact: str
    learning_x: str
    learning_y: str
    heatmap_learned: str  # {segment}
    heatmap_true: str  # {segment}
    heatmap_x: str
    reliability_title: str  # {world}
    reliability_x: str
    reliability_y: str
    reliability_ideal: str
    reliability_model: str

    def policy(self, key: str) -> str:
        return self.policy_names.get(key, key)

    def tick(self, value: float) -> str:
        """A chart axis's figure with the language's decimal mark ("2,5", "2.5")."""
        return f"{value:g}".replace(".", self.decimal_mark)


def report_words(pack: LanguagePack, policies: Sequence[str]) -> ReportWords:
    """The page's and the charts' words in ``pack``'s language; ``policies``: the keys of
    the policies the report shows."""
    text = console(pack)
    named = ("traditional", "predicted", "segment_oracle", "oracle")
    return ReportWords(
        lang=pack.code,
        decimal_mark=text.strings["format.decimal_mark"],
        title=pack.say("sim_report_title"),
        heading=pack.say("sim_report_heading"),
        policies_note=pack.say(
            "sim_report_policies", **{key: policy_name(pack, key) for key in named}
        ),
        no_reliability=pack.say("sim_report_no_reliability"),
        policy_names=MappingProxyType({key: policy_name(pack, key) for key in policies}),
        weekdays=tuple(text.weekday(day, short=True) for day in range(7)),
        unit_percent=pack.say("sim_chart_unit_percent"),
        unit_hours=pack.say("sim_chart_unit_hours"),
        learning_first=pack.say("sim_chart_learning_first"),
        learning_contact=pack.say("sim_chart_learning_contact"),
        learning_x=pack.say("sim_chart_learning_x"),
        learning_y=pack.say("sim_chart_learning_y"),
        heatmap_learned=pack.prompts["sim_chart_heatmap_learned"].text,
        heatmap_true=pack.prompts["sim_chart_heatmap_true"].text,
        heatmap_x=pack.say("sim_chart_heatmap_x"),
        reliability_title=pack.prompts["sim_chart_reliability_title"].text,
        reliability_x=pack.say("sim_chart_reliability_x"),
        reliability_y=pack.say("sim_chart_reliability_y"),
        reliability_ideal=pack.say("sim_chart_reliability_ideal"),
        reliability_model=pack.say("sim_chart_reliability_model"),
    )
