"""Danish sentences the bot builds read as Danish (the Danish caller audit of December
2026, group 11).

- A product's name comes from the shop and cannot be inflected safely (den grå sofa,
  det spisebord, de høretelefoner: the gender is not known), and "vi har grå sofa på
  lager" lacked its article. The name stands first and "det" takes it up, as a shop
  assistant says it: "Ja, grå sofa, det har vi på lager"; "Beklager, men rød elkedel,
  det er vi udsolgt af" ("men": without it the name sounded like the caller's). The
  closest product is offered with "det", whatever its gender or number ("Skal jeg
  tjekke den?" was wrong for a table or headphones).
- "noget, du har modtaget og få en sms": the clause is closed by a comma before "og".
- "Et almindeligt opkald, så snart ..." was a fragment; it says who wants it.
- "når du sandsynligvis har tid": "når det er mest sandsynligt, at du kan tage
  telefonen", which is what the timing model knows.
- The DTMF menu's "senest den næste dag, hvor vi ringer til kunder" keeps its meaning
  (a Saturday may be a calling day, so not "næste hverdag") in plainer words.
- "Tak, fordi" with its comma everywhere.
"""

from __future__ import annotations

import re

import pytest

from bot.backends import Backends
from bot.backends.demo_data import DEMO_CALLER
from bot.dialogue.inputs import TextTurn
from bot.dialogue.prompts import say, use_language
from spillway.language_pack import load_pack
from tests.dialogue_fixtures import call_saying

pytestmark = pytest.mark.usefixtures("english_after")

# Names of every kind: common and neuter gender, plural, a brand.
NAMES = ["grå sofa", "spisebord i egetræ", "trådløse høretelefoner", "Nike Air Max 90"]
STOCK_KEYS = ["in_stock", "sold_out_restock", "sold_out"]


@pytest.mark.parametrize("key", STOCK_KEYS)
@pytest.mark.parametrize("name", NAMES)
def test_a_product_name_is_taken_up_by_det_never_inflected(key: str, name: str) -> None:
    use_language("da")
    said = say(key, product=name, count="3", days=7, restock_day="søndag den 13. december")
    assert re.search(rf"\b{re.escape(name)}, det (har|er) vi\b", said), said
    # Never the bare name where Danish wants an article.
    assert f"har {name}" not in said and f"af {name}" not in said, said


def test_the_closest_product_is_offered_with_det() -> None:
    use_language("da")
    for name in NAMES:
        said = say("product_not_sold_one", product="borde", closest=name)
        assert "tjekke den?" not in said and "om vi har det på lager?" in said, said


async def test_a_complaint_s_clause_is_closed_before_the_sms(demo: Backends) -> None:
    d = await call_saying(demo, "da", caller_id=DEMO_CALLER, sms=True)
    reply = await d.handle(TextTurn("min vase er gået i stykker"))
    assert reply.action == "confirm_complaint", reply
    assert "noget, du har modtaget, og få en sms" in reply.text, reply.text


def test_the_complaint_s_sms_after_an_order_takes_no_comma() -> None:
    use_language("da")
    sms = say("complaint_sms_ahead")
    said = say("confirm_complaint_given", order="1 0 0 4 2", items="", sms=sms)
    assert "ordre 1 0 0 4 2 og få en sms" in said, said


def test_danish_prompts_are_whole_sentences_in_plain_words() -> None:
    pack = load_pack("da")
    texts = {key: prompt.text for key, prompt in pack.prompts.items()}
    every = "\n".join(texts.values())
    assert "Tak fordi" not in every and "Tak, fordi du ringede" in texts["call_goodbye"]
    assert "sandsynligvis har tid" not in every
    assert texts["callback_plain_confirm"].startswith("Du vil gerne have et almindeligt opkald")
    assert "senest den næste dag, hvor vi ringer kunder op" in texts["menu_callback_recorded"]
    assert "hverdag" not in texts["menu_callback_recorded"]  # a Saturday may be a calling day
