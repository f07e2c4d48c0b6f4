"""The dialogue's stock steps: which product, and whether the shop has it.

A mixin of :class:`bot.dialogue.machine.Dialogue`. A product the classifier knows is
looked up; without one, the caller's own words (the stock question's taken away,
:mod:`bot.dialogue.stock_words`) are. A product the shop does not sell is said so
("we don't seem to sell a blue lamp"), with the closest products it does sell, if
any match loosely (a yes checks the one offered), or a colleague: never "which
product?" again and again.
"""

from __future__ import annotations

from bot.dialogue.config import State
from bot.dialogue.pack_phrases import said_words
from bot.dialogue.phrasing import Calendar, clean_product
from bot.dialogue.prompts import say
from bot.dialogue.steps import DialogueSteps
from bot.dialogue.stock_words import closest_products, product_words
from bot.nlu.intents import Intent
from bot.types import ParsedIntent, Reply

# Answers to "which product?" that name none.
_NOT_A_PRODUCT = frozenset({Intent.AFFIRM, Intent.DENY, Intent.GOODBYE})


class StockSteps(DialogueSteps):
    """Stock questions; the state and helpers are declared in DialogueSteps."""

    calendar: Calendar
    # The products offered instead of one the shop does not sell (a yes checks one).
    _suggested: tuple[str, ...] = ()

    def _product_said(self, entities: dict[str, str], said: str) -> str | None:
        """The product the classifier named, else the caller's words for it in ``said``
        (what they said this turn; "" for a key)."""
        return clean_product(entities.get("product")) or product_words(said, self.config.language)

    async def _stock_question(self, entities: dict[str, str], said: str) -> Reply:
        """A stock question (``said``: its words, "" for key 2): answered when it names a
        product, else asked which."""
        product = self._product_said(entities, said)
        if product:
            return await self._stock(product, said)
        return self._ask(say("ask_product"), "ask_product", State.ASK_PRODUCT)

    async def _product_answer(
        self, intent: ParsedIntent | None, entities: dict[str, str], digits: str
    ) -> Reply | None:
        """The answer to "which product?" (or to the products offered instead)."""
        yes = (intent is not None and intent.name == Intent.AFFIRM) or digits == "1"
        if yes and len(self._suggested) == 1:
            return await self._stock(self._suggested[0])
        if digits or intent is None or intent.name in _NOT_A_PRODUCT:
            # A key, a yes or no to nothing offered, a goodbye: not a product's name.
            return None
        product = self._product_said(entities, intent.text)
        return await self._stock(product, intent.text) if product else None

    async def _stock(self, product_name: str, said: str = "") -> Reply:
        """The stock of ``product_name`` (``said``: the caller's words it came from)."""
        product = await self.backends.inventory.find_product(product_name)
        if product is None:
            return await self._not_sold(product_name, said)
        self._suggested = ()
        self._served += 1
        if product.stock > 0:
            count = say("stock_one_left") if product.stock == 1 else f"{product.stock}"
            text = say("in_stock", product=product.name, count=count)
        elif product.restock_at:
            days = self.calendar.days_from_today(product.restock_at)
            text = say(
                "sold_out_restock",
                product=product.name,
                days=days,
                restock_day=self.calendar.date_text(product.restock_at),
            )
        else:
            text = say("sold_out", product=product.name)
        return self._anything_else(text, "stock")

    async def _not_sold(self, product_name: str, said: str) -> Reply:
        """A product the shop does not seem to sell: said so, in the caller's words, with
        the closest it does sell; a name the caller did not say is not said back."""
        if f" {said_words(product_name)} " not in f" {said_words(said)} ":
            self._suggested = ()
            return self._fail(say("product_not_found"), "product_not_found", State.ASK_PRODUCT)
        closest = closest_products(product_name, await self.backends.inventory.product_names())
        self._suggested = tuple(closest)
        if len(closest) == 1:
            text = say("product_not_sold_one", product=product_name, closest=closest[0])
        elif closest:
            names = say("product_separator").join(closest)
            text = say("product_not_sold_some", product=product_name, closest=names)
        else:
            text = say("product_not_sold", product=product_name)
        return self._fail(text, "product_not_found", State.ASK_PRODUCT)
