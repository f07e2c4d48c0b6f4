"""Who `callbacks explain` and `callbacks show` speak to, and the customer's words quoted.

The explanation of a request's timing is said to the customer (it is their right of
access, in the shop's language). An admin reading it in another language (a Danish
shop's English-speaking admin: ``web.language``, or ``--language``) is told about
the customer instead, in the admin's language, as the console's request page tells
the team lead; what the customer was told is then quoted in the shop's language,
marked as said to the customer, so the admin knows the words the customer heard.
"""

from __future__ import annotations

from dataclasses import dataclass

from cli.language import Language, admin_language
from scheduler.subject_access import request_promise
from scheduler.timing.explain import CUSTOMER, TEAM_LEAD, Promise
from spillway.console_text import ConsoleText
from spillway.settings import Settings
from spillway.storage import Row, Store


@dataclass(frozen=True, slots=True)
class Reading:
    """The admin's language and who the explanation speaks to."""

    language: str  # the admin's: every sentence of the explanation is said in it
    shop_language: str  # the customer's: what they were told
    reader: str  # CUSTOMER when the admin reads the customer's language, else TEAM_LEAD

    @property
    def quotes_customer(self) -> bool:
        """The customer's words differ from the admin's: quote them beside."""
        return self.language != self.shop_language


def reading(settings: Settings, language: Language | None) -> Reading:
    """How an admin command explains a request under ``settings`` and ``--language``."""
    admin = admin_language(settings, language)
    shop = settings.shop.language
    return Reading(admin, shop, CUSTOMER if admin == shop else TEAM_LEAD)


def customer_quote(text: ConsoleText, said: list[str], shop_language: str) -> str:
    """``said`` (the lines told to the customer) quoted, with the language they were said
    in named in ``text``'s."""
    name = text.language_name(shop_language)
    return text("cli.customer_quote", language=name, said=" ".join(said))


def promises(
    store: Store, row: Row, settings: Settings, how: Reading, *, now: float
) -> tuple[Promise, list[str]]:
    """``row``'s promise and next call as said to the admin (``how``), and what the
    customer was told of them, in the shop's language (the same when the admin's is)."""
    admin = request_promise(store, row, settings, now=now, language=how.language, reader=how.reader)
    return admin, request_promise(store, row, settings, now=now).timeline
