"""Every sentence the bot says: the prompt catalogue of the shop's language pack.

The words live in the language packs (``spillway/languages/<code>/prompts.yaml``,
loaded by :mod:`spillway.language_pack`), one id per reply, the same ids in
every pack. Each :class:`Prompt` is a ``str.format`` template. ``fixed`` marks
wording that carries no caller data (at most the shop's own name): it may be
stored on disk and played from the prompt cache, while everything else is
synthesised for the call and never cached (``tests/test_intents.py`` checks
that fixed wording carries no caller data).

One process speaks for one shop, so one language at a time:
:func:`use_language` picks the pack (``shop.language``; the dialogue and the
sound renderer call it from their settings), English until then.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.dialogue.caller_notice import caller_notice
from dialplan.sounds import SOUND_KEYS, SOUND_ONLY_KEYS
from spillway.language_pack import DEFAULT_LANGUAGE, LanguagePack, Prompt, load_pack

__all__ = [
    "PROMPTS",
    "Prompt",
    "active_pack",
    "fixed_prompts",
    "say",
    "spoken_prompts",
    "use_language",
]

_active: LanguagePack = load_pack(DEFAULT_LANGUAGE)


def use_language(code: str) -> LanguagePack:
    """Speak ``code``'s pack from now on (ConfigError when there is none)."""
    global _active
    _active = load_pack(code)
    return _active


def active_pack() -> LanguagePack:
    """The pack the bot speaks now."""
    return _active


def say(action: str, **values: object) -> str:
    """The wording of ``action`` in the active pack with ``values`` filled in."""
    return _active.say(action, **values)


# The English pack's catalogue and openers, as they were before packs (tests,
# benchmarks); the bot itself asks :func:`say` so that it follows the language.
_ENGLISH = load_pack(DEFAULT_LANGUAGE)
PROMPTS: Mapping[str, Prompt] = _ENGLISH.prompts
# The offer as a bot on the default settings says it: with the caller notice, no page.
DEFAULT_NOTICE = caller_notice(_ENGLISH, enabled=True, privacy_url=None)
REPROMPT_NOT_UNDERSTOOD = PROMPTS["reprompt_not_understood"].text
REPROMPT_SILENCE = PROMPTS["reprompt_silence"].text
REPROMPT_UNCLEAR = PROMPTS["reprompt_unclear"].text
OFFER_PROMPT = _ENGLISH.say("offer", notice=DEFAULT_NOTICE)
OFFER_REPROMPT = PROMPTS["offer_reprompt"].text
OFFER_WAIT = PROMPTS["offer_wait"].text
OFFER_BOT = PROMPTS["offer_bot"].text

# The fixed openers the voice bot renders into the cache at start-up, first: they
# are also the recognisers' warm-up audio (bot/warm_up.py).
_FIXED_OPENERS = (
    "offer",
    "offer_reprompt",
    "offer_wait",
    "offer_bot",
    "reprompt_not_understood",
    "reprompt_silence",
    "reprompt_unclear",
    "reprompt_unclear_again",
)

# Pack families that are written, never spoken: the timing explanation, the
# simulator's report, the data-protection export's purposes, the calling rules'
# reasons (callbacks explain), text messages and the agent's hand-over summary.
_NOT_SPOKEN = ("explain_", "sim_", "purpose_", "rule_", "sms_", "agent_")
# Said only inside the greeting and the offer (their ``{notice}``), never alone.
_WITHIN_OTHERS = ("caller_notice", "caller_notice_more")


def _spoken_by_the_bot(key: str) -> bool:
    """Said by the bot in a call (not written, and not one of Asterisk's sound files)."""
    return (
        not key.startswith(_NOT_SPOKEN)
        and key not in _WITHIN_OTHERS
        and key not in SOUND_KEYS
        and key not in SOUND_ONLY_KEYS
    )


def fixed_prompts(shop: str = "", notice: str = "") -> list[str]:
    """Every fixed wording the bot plays whole from the prompt cache, in the active
    pack, the openers first; ``shop`` fills the goodbye's shop name, ``notice`` the
    offer's caller notice (:meth:`DialogueConfig.notice`), so the offer cached is the
    one callers hear.

    Rendered into the cache at start-up, so the first caller who asks for a
    colleague does not wait for "I'm putting you through..." to render. (The
    greeting comes from the dialogue itself; Asterisk's prompts are sound files.)
    """
    rest = [
        _active.say(key, shop=shop)
        for key, prompt in _active.prompts.items()
        if prompt.fixed and key != "greet" and key not in _FIXED_OPENERS and _spoken_by_the_bot(key)
    ]
    return [*(say(key, notice=notice) for key in _FIXED_OPENERS), *rest]


def spoken_prompts() -> list[str]:
    """The active pack's other spoken wordings, caller data ``{placeholders}`` unfilled
    ("Thank you. Order {order}{items} has been shipped{carrier}.", "Which product
    would you like me to check?"): their fixed sentences are worth rendering before
    the first caller (:func:`bot.speech.synthesis.fixed_pieces`)."""
    return [
        prompt.text
        for key, prompt in _active.prompts.items()
        if not prompt.fixed and _spoken_by_the_bot(key)
    ]
