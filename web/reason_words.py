"""Why a call was handed over, and why a callback was asked for, in the console's words.

The stored reasons are the system's own: the dialogue's action (``transfer_no_match``),
the voice bot's and the menu's phrases (``too many turns``, ``media idle``,
``bot error: TimeoutError``, ``pressed 0``), the intake's codes (``queue overflow``,
an intent's name), or a shop's free text (a CSV's or the API's ``reason``). The pages
show them in the language pack's words (``handoff_reason.*``, ``request_reason.*``,
``intent.*``); the part a code carries that has no words (an error's class name, a
dialogue step the pack does not name) stays beside them as detail, and the stored
value itself is kept for a tooltip. A hand-over reason nobody named is "another reason"
with the stored text as its detail; a callback's free text is the shop's own words and
is shown as written.
"""

from __future__ import annotations

from scheduler.joined_request import JOINED_BY, reason_parts
from scheduler.simulation.label import SimulationLabel, read_label
from spillway.console_text import ConsoleText

# A hand-over reason's words are also the agent's (the hand-over summary): they live
# beside it, below the bot and the menu.
from spillway.handover_words import ReasonWords, code_key, handoff_words

__all__ = ["ReasonWords", "code_key", "handoff_words", "request_words", "simulation_words"]


def request_words(text: ConsoleText, stored: str | None) -> ReasonWords:
    """A callback request's reason: the intake's codes and the bot's intents in words,
        a shop's own text as written ("" when there is none), a simulated run's label
    (stored in English) in the pack's words. The reasons of CSV rows that joined it
    ("order_status; Ny henvendelse") are worded one by one."""
    raw = (stored or "").strip()
    simulated = read_label(raw)
    if simulated is not None:
        return ReasonWords(simulation_words(text, simulated), "", raw)
    said = JOINED_BY.join(_one_reason(text, part) for part in reason_parts(raw))
    return ReasonWords(said, "", raw)


def _one_reason(text: ConsoleText, part: str) -> str:
    key = code_key(part)
    for group in ("request_reason", "intent"):
        if key and f"{group}.{key}" in text.strings:
            return text(f"{group}.{key}")
    return part


def simulation_words(text: ConsoleText, label: SimulationLabel) -> str:
    """Which world, policy and seed wrote a simulated request, in the console's language
    (a policy the pack does not name is shown by its code)."""
    policy = text.strings.get(f"simulated_reason.policy.{label.policy}", label.policy)
    key = "simulated_reason.demo" if label.demo else "simulated_reason.run"
    return text(key, world=label.world, policy=policy, seed=label.seed)
