"""What the agent who takes a handed-over call reads, in the shop's language.

The hand-over summary (``__SPILLWAY_SUMMARY``, the Spillway AMI events, the calls table)
was English in code whatever the shop spoke ("bot: transfer; order 10042; intents ...;
callback 1 booked, closed if you take the call"). Now its sentences are the pack's
``agent_*`` prompts and its reason and topics the console's words for them
(spillway/handover_words.py), while the machine fields (intent, case id, callback id)
stay as they were. English and Danish; no sockets: the dialogue over the demo shop, the
menu bot on an in-memory line, the callback brief from a request's stored context.
"""

from __future__ import annotations

import json

import pytest

from agi.menu_bot import EchoBot, MenuBot
from bot.backends import Backends
from bot.bot_outcome import keeps_waiting, outcome
from bot.dialogue.machine import Dialogue
from scheduler.callback_context import callback_brief
from spillway.call import MAX_SUMMARY_CHARS, CallContext, Route, clean_value
from spillway.console_text import load_console_text
from spillway.handover_words import agent_words
from spillway.offer_reason import OfferReason, OfferWhy
from tests.dialogue_fixtures import call_saying
from tests.fakes import MemoryMedia, RecordingSink

pytestmark = pytest.mark.usefixtures("english_after")

LANGUAGES = ("en", "da")
CALLER = "+4520123456"
# An order asked about and confirmed, a callback asked for and its number confirmed,
# then a person asked for.
SAID = {
    "en": (
        "where is my order 10042",
        "yes",
        "I'd like a callback",
        "yes",
        "I'd like to talk to a person",
    ),
    "da": (
        "hvor er min ordre 10042",
        "ja",
        "jeg vil gerne ringes op",
        "ja",
        "jeg vil tale med et menneske",
    ),
}
# What the agent reads, in each language's own words (not derived from the code under test).
READS = {
    "en": (
        "Bot handed over: the caller asked for a person",
        "Order 10042",
        "Topics: order status/callback request/asked for a person",
        "Callback {id} is booked and closes if you take the call",
    ),
    "da": (
        "Botten stillede videre: kunden bad om en medarbejder",
        "Ordre 10042",
        "Emner: ordrestatus/vil ringes op/vil tale med en medarbejder",
        "Tilbagekald {id} er bestilt og lukkes, hvis du tager opkaldet",
    ),
}
# The English code words the summary was made of: none is left in a Danish one.
ENGLISH_WORDS = ("bot:", "order ", "intents", "booked", "said:", "callback")


async def _order_callback_person(demo: Backends, language: str) -> Dialogue:
    return await call_saying(
        demo, language, *SAID[language], caller_id=CALLER, call_id=f"summary-{language}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_handed_over_caller_with_an_order_and_a_callback_is_summed_up_in_the_shop_language(
    demo: Backends, language: str
) -> None:
    d = await _order_callback_person(demo, language)
    assert d.callback_id is not None
    ended = outcome(d)
    assert ended.route is Route.HANDOFF
    summary = ended.handoff.summary
    expected = [part.format(id=d.callback_id) for part in READS[language]]
    assert summary.startswith(". ".join(expected)), summary
    # The machine fields stay codes: the dialplan, the AMI events and the console read them.
    assert ended.handoff.intent == "human_agent"
    assert ended.handoff.callback_id == ended.callback_id == d.callback_id
    # The agent's screen: cleaned as before (no comma splits a dialplan argument), within
    # its limit, and still naming the order and the booked callback.
    shown = ended.handoff.channel_variables()["__SPILLWAY_SUMMARY"]
    assert "," not in shown and len(shown) <= MAX_SUMMARY_CHARS
    assert clean_value(expected[1]) in shown and clean_value(expected[3]) in shown
    if language == "da":
        assert not [w for w in ENGLISH_WORDS if w in summary.lower()], summary


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_reason_is_the_consoles_word_for_it(language: str) -> None:
    words = agent_words(language)
    text = load_console_text(language)
    assert words.reason("too many turns") == text("handoff_reason.too_many_turns")
    assert words.reason("transfer_no_input") == text("handoff_reason.transfer_no_input")
    # What a code carries beyond the words stays beside them.
    assert words.reason("bot error: TimeoutError") == (
        f"{text('handoff_reason.bot_error')} (TimeoutError)"
    )
    # A reason no pack names is given as it is stored, not as "another reason".
    assert words.reason("said no to the bot") == "said no to the bot"
    assert words.intents(["order_status", "no_such_intent"]) == (
        f"{text('intent.order_status')}/no_such_intent"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_long_caller_words_are_cut_so_the_facts_stand_whole(language: str) -> None:
    words = agent_words(language)
    facts = [words.say("order", order="10042"), words.say("callback_held", callback=7)]
    summary = words.summary(facts, said="where is my parcel " * 30)
    assert len(summary) <= MAX_SUMMARY_CHARS
    assert summary.startswith(". ".join(facts) + ". " + words.say("said", text="where"))
    assert summary.endswith("…")
    # Too little room for the caller's words: left out, the facts kept whole.
    crowded = ["x" * (MAX_SUMMARY_CHARS - 20)]
    assert words.summary(crowded, said="where is my parcel " * 30) == crowded[0]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_menu_bots_person_key_tells_the_agent_in_the_shop_language(
    language: str,
) -> None:
    media = MemoryMedia("menu-0")
    media.press("0")
    ended = await MenuBot(choice_timeout_s=5, language=language).run(
        media, CallContext(call_id="call-00000123", caller=CALLER), RecordingSink()
    )
    assert ended.route is Route.HANDOFF
    assert (
        ended.handoff.summary
        == {
            "en": "The caller asked for a person in the bot menu",
            "da": "Kunden bad om en medarbejder i botmenuen",
        }[language]
    )
    assert (ended.handoff.intent, ended.handoff.case_id) == ("agent_request", "C-00000123")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_echo_test_names_its_key_in_the_shop_language(language: str) -> None:
    media = MemoryMedia("echo-5")
    media.press("5")
    ended = await EchoBot(max_s=5, language=language).run(
        media, CallContext(call_id="echo-5", caller=CALLER), RecordingSink()
    )
    assert (
        ended.handoff.summary
        == {
            "en": "Echo test ended with key 5",
            "da": "Ekkotest sluttede med tasten 5",
        }[language]
    )


# What the caller did at the offer, and what the agent reads of it, in each language's
# own words (not derived from the code under test); the stored code stays English.
OFFER_READS = {
    "en": {
        OfferReason.pressed("2"): "Queue offer: the caller pressed 2",
        OfferReason.pressed(""): "Queue offer: the caller pressed no key",
        OfferReason(OfferWhy.WAIT): "Queue offer: the caller said they would keep waiting",
        OfferReason(OfferWhy.PERSON): "Queue offer: the caller wants a person, so keeps waiting",
        OfferReason(OfferWhy.NO_TO_BOT): "Queue offer: the caller said no to the bot",
        OfferReason(OfferWhy.SILENCE): "Queue offer: the caller said nothing",
        OfferReason.not_understood("out_of_scope"): (
            "Queue offer: the bot did not understand the answer (taken as: out of scope)"
        ),
    },
    "da": {
        OfferReason.pressed("2"): "Tilbuddet i køen: kunden trykkede på 2",
        OfferReason.pressed(""): "Tilbuddet i køen: kunden trykkede ikke på nogen tast",
        OfferReason(OfferWhy.WAIT): "Tilbuddet i køen: kunden ville hellere vente i køen",
        OfferReason(OfferWhy.PERSON): (
            "Tilbuddet i køen: kunden vil tale med en medarbejder og venter derfor i køen"
        ),
        OfferReason(OfferWhy.NO_TO_BOT): "Tilbuddet i køen: kunden sagde nej til botten",
        OfferReason(OfferWhy.SILENCE): "Tilbuddet i køen: kunden sagde ingenting",
        OfferReason.not_understood("out_of_scope"): (
            "Tilbuddet i køen: botten forstod ikke svaret (opfattet som: uden for bottens emner)"
        ),
    },
}
STORED = {
    OfferReason.pressed("2"): "offer: pressed 2",
    OfferReason.pressed(""): "offer: pressed (nothing)",
    OfferReason(OfferWhy.WAIT): "offer: said they will keep waiting",
    OfferReason(OfferWhy.PERSON): "offer: wants a person: keeps waiting",
    OfferReason(OfferWhy.NO_TO_BOT): "offer: said no to the bot",
    OfferReason(OfferWhy.SILENCE): "offer: silence",
    OfferReason.not_understood("out_of_scope"): "offer: not understood (out_of_scope)",
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_caller_who_keeps_waiting_at_the_offer_is_summed_up_in_the_shop_language(
    demo: Backends, language: str
) -> None:
    """The offer's reason was English in a Danish summary ("Tilbuddet i køen: pressed 2")."""
    d = await call_saying(demo, language)
    for reason, reads in OFFER_READS[language].items():
        waits = keeps_waiting(d, reason)
        assert waits.route is Route.WAIT and waits.reason == STORED[reason]
        assert waits.handoff.summary == reads


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_offer_reason_has_its_words_in_every_pack(language: str) -> None:
    """Each reason the offer records is worded (none falls back to its English code), and
    the Danish words are not the English ones."""
    words = agent_words(language)
    english = agent_words("en")
    for why in OfferWhy:
        reason = OfferReason(why, "2" if why in (OfferWhy.PRESSED, OfferWhy.SAID_KEY) else "")
        if why in (OfferWhy.BOT_REQUEST, OfferWhy.NOT_UNDERSTOOD):
            reason = OfferReason(why, "order_status")
        said = words.offer(reason)
        assert said and said != reason.stored, (why, said)
        assert "{" not in said, said
        if language != "en":
            assert said != english.offer(reason), said


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_menu_bot_s_offer_key_is_said_in_the_shop_language(language: str) -> None:
    media = MemoryMedia("offer-2")
    media.press("2")
    ended = await MenuBot(choice_timeout_s=5, speaks_offer=True, language=language).run(
        media, CallContext(call_id="offer-2", caller=CALLER, offer=True), RecordingSink()
    )
    assert ended.route is Route.WAIT and ended.reason == "pressed 2"
    assert ended.handoff.summary == OFFER_READS[language][OfferReason.pressed("2")]


def test_a_danish_callback_brief_is_danish_and_keeps_its_fields() -> None:
    context = {
        "intents": ["order_status", "callback_request"],
        "topic": "order_status",
        "order_number": "10043",
        "last_caller_text": "hvor er min ordre",
    }
    brief = callback_brief(12, "callback_request", json.dumps(context), "da")
    assert brief.handoff.summary == (
        "Tilbagekald 12. Årsag: vil ringes op. Ordre 10043. Kunden sagde: hvor er min ordre"
    )
    assert (brief.handoff.intent, brief.handoff.case_id) == ("order_status", "10043")
    # A summary the bot stored with the request is its own (already in the shop's words).
    kept = callback_brief(3, "", {"summary": "Ordre 1. Kunden sagde: hej"}, "da")
    assert kept.handoff.summary == "Ordre 1. Kunden sagde: hej"
