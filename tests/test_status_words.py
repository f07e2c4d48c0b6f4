"""One status, one name: a closed callback request's status is called by the same word on
the console and in the CLI (``status.X`` in console.yaml: `callbacks list/show`, the
request page, the customer's letter) and where an explanation names it by a bare word
(``explain_status_X``, to the customer; ``explain_lead_status_X``, to the team lead).

A Danish admin saw a reached callback called "nået" on the console and "gennemført" in
the explanation the customer was given: two names for one status. An explanation may
say more than the name ("afsluttet, uden at vi fik fat i dig"); a bare word is the name.
"""

from __future__ import annotations

import pytest

from scheduler.requests import FINAL_STATUSES, RequestStatus
from scheduler.timing.plan_timeline import status_word
from spillway.console_text import load_console_text
from spillway.language_pack import available_languages, load_pack


def _bare(words: str) -> bool:
    """A name, not an explanation: no clause after a comma, colon or parenthesis."""
    return not any(mark in words for mark in ",:(")


@pytest.mark.parametrize("language", available_languages())
def test_a_status_named_by_a_bare_word_is_called_the_same_everywhere(language: str) -> None:
    text, pack = load_console_text(language), load_pack(language)
    named = 0
    for status in sorted(FINAL_STATUSES):
        console = text(f"status.{status}")
        for key in (f"explain_status_{status}", f"explain_lead_status_{status}"):
            if key in pack.prompts and _bare(said := pack.say(key)):
                named += 1
                assert said == console, (language, status, said, console)
    assert named >= 2  # done and cancelled at least, in every language


def test_a_reached_callback_is_gennemfoert_for_the_danish_admin_and_customer() -> None:
    text, pack = load_console_text("da"), load_pack("da")
    assert text("status.done") == status_word(RequestStatus.DONE, pack) == "gennemført"
    # The customer hears it in a sentence that reads: the request is "gennemført".
    closed = pack.say("explain_closed", status=status_word(RequestStatus.DONE, pack))
    assert closed == "Vi ringer ikke flere gange: din anmodning er gennemført."
