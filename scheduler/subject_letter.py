"""A subject-access export as a letter to the customer (`spillway gdpr export --format text`).

The JSON export (:mod:`scheduler.subject_access`) is for machines and the admin: stored
codes ("pending", "csv") beside their words, English keys. A shop answering an access
request hands the customer this instead: what is held about them, table by table of the
map of personal data, each thing said in words (a callback request's status and where
it came from, its promise and last call, each call attempt and how it ended, what was
said in a call, the signals), why it is held (the map's purposes) and for how long
(the ``gdpr`` retention periods), and their right to have it erased, with whom to ask
(``gdpr.contact`` as the admin wrote it, else the shop by its name).

Every word is the language pack's (``dp.letter`` in console.yaml, codes through the
pack's own words for them: ``status``, ``attempt``, ``table``; purposes and signal kinds
from prompts.yaml), in the shop's language, as the JSON's words and `callbacks explain`:
it is the customer who reads it. Dates as the language writes them in a sentence
("7. december 2026 kl. 09.00"). A plain function of the export: no database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from scheduler.requests import OPEN_STATUSES
from scheduler.stored_promise import promise_spoken
from scheduler.subject_access import SubjectExport
from scheduler.timing.explain import Explanation
from spillway.console_text import ConsoleText, load_console_text
from spillway.language_pack import LanguagePack, load_pack
from spillway.personal_data import PERSONAL_DATA, Period, is_keyed_hash
from spillway.settings import Settings
from spillway.storage import Row

L = "dp.letter"  # its words in the language pack (console.yaml)
INDENT = "  "


class _Words:
    """The letter's words in one language, with its dates in the shop's zone."""

    def __init__(self, language: str, zone: str) -> None:
        self.text: ConsoleText = load_console_text(language)
        self.pack: LanguagePack = load_pack(language)
        self.zone = zone

    def __call__(self, key: str, /, **values: object) -> str:
        return self.text(f"{L}.{key}", **values)

    def when(self, ts: float | None) -> str:
        return self.text.when(ts, self.zone, self.text(f"{L}.date"))

    def code(self, group: str, value: object) -> str:
        """A stored code in the pack's words for it (``group.value``); an unknown one in
        the letter's words for a value it cannot name, with the value as stored."""
        said = self.text.strings.get(f"{group}.{value}")
        return said if said is not None else self("unnamed", value=value)


def subject_letter(found: SubjectExport, settings: Settings) -> str:
    """``found`` as a letter to the person it is about, in ``found.language``."""
    w = _Words(found.language, found.zone)
    lines = [
        w("title", shop=settings.shop.name),
        "",
        w("intro", phone=found.phone, when=w.when(found.exported_at), zone=found.zone),
    ]
    held = [t for t in PERSONAL_DATA if found.tables.get(t.name)]
    if not held:
        lines += ["", w("nothing")]
    explained = {e.request_id: e for e in found.explanations}
    for table in held:
        rows = found.tables[table.name]
        lines += ["", _heading(w.text(f"table.{table.name}"))]
        said = SECTIONS.get(table.name)
        lines += [INDENT + line for line in said(rows, found, w, explained)] if said else []
        if said is None:
            lines.append(INDENT + w.text.count(f"{L}.entries", len(rows)))
        lines.append(INDENT + w("why", purpose=w.pack.say(f"purpose_{table.name}")))
        kept = KEPT.get(table.name)
        period = kept(rows, w) if kept else _period(table.period, settings, w)
        lines.append(INDENT + w("kept", period=period))
    lines += [
        "",
        _heading(w("rights_title")),
        *(INDENT + w(key) for key in ("right_access", "right_erasure", "right_calls")),
        INDENT + _ask(settings, w),
        "",
    ]
    return "\n".join(lines)


def _ask(settings: Settings, w: _Words) -> str:
    """Whom to ask: ``gdpr.contact`` as the admin wrote it, else the shop by its name."""
    contact = settings.gdpr.contact
    if contact is None:
        return w("ask", shop=settings.shop.name)
    return w("ask_contact", shop=settings.shop.name, contact=contact)


def _heading(words: str) -> str:
    return words[:1].upper() + words[1:]


def _period(period: Period, settings: Settings, w: _Words) -> str:
    if period is Period.PHONE_NUMBERS:
        return w.text.count("count.months", settings.gdpr.phone_numbers_months)
    if period is Period.CALL_TIMES:
        return w.text.count("count.months", settings.gdpr.call_times_months)
    return w("until_erased")


Explained = dict[int, Explanation]


def _requests(rows: list[Row], found: SubjectExport, w: _Words, why: Explained) -> list[str]:
    """Each callback request: when asked, its status and source, the promise, its calls."""
    attempts: dict[int, list[Row]] = defaultdict(list)
    for attempt in sorted(found.tables.get("callback_attempts", []), key=_started):
        attempts[int(attempt["request_id"])].append(attempt)
    lines: list[str] = []
    for row in rows:
        lines.append(w("request", when=w.when(row["created_at"])))
        facts = [
            w("status", status=w.code("status", row["status"])),
            w("came_from", source=w.code(f"{L}.source", row["source"])),
        ]
        if row.get("name"):
            facts.append(w("name", name=row["name"]))
        if row.get("reason"):
            facts.append(w("reason", reason=_reason(row["reason"], w)))
        if row.get("consent"):  # unset says nothing: a caller who asked needs no yes
            facts.append(w("consent"))
        if row.get("traditional"):
            facts.append(w("traditional"))
        if row.get("not_before") and row.get("not_after"):
            asked = {"start": w.when(row["not_before"]), "end": w.when(row["not_after"])}
            facts.append(w("asked_window", **asked))
        timing = why.get(int(row["id"]))
        if timing is not None:
            # A deadline nobody told the customer is our aim, not a promise to them.
            told = "promised" if promise_spoken(row) else "aimed"
            facts.append(w(told, when=w.when(timing.promised_by)))
            facts.append(w("given_up", when=w.when(timing.given_up_at)))
        made = attempts.get(int(row["id"]), [])
        if made:
            facts.append(w.text.count(f"{L}.attempts", len(made)))
        else:  # no list follows: no colon, and "yet" only while a call may still come
            facts.append(w("not_called_yet" if row["status"] in OPEN_STATUSES else "not_called"))
        lines += [INDENT + fact for fact in facts]
        lines += [2 * INDENT + _attempt(a, w) for a in made]
    return lines


def _reason(stored: str, w: _Words) -> str:
    """A request's or case's reason: a code of the system's (why it was booked, the topic
    the bot recognised) in the pack's words for it, free text as written."""
    for group in ("request_reason", "intent"):
        said = w.text.strings.get(f"{group}.{stored}")
        if said is not None:
            return said
    return stored


def _cases(rows: list[Row], _found: SubjectExport, w: _Words, _why: Explained) -> list[str]:
    return [w("case", when=w.when(r["created_at"]), reason=_reason(r["reason"], w)) for r in rows]


def _messages(rows: list[Row], _found: SubjectExport, w: _Words, _why: Explained) -> list[str]:
    """Each text message: when it was sent (or written, not sent yet) and what it said."""
    return [
        w("sms", when=w.when(r["sent_at"]), text=r["body"])
        if r.get("sent_at")
        else w("sms_unsent", when=w.when(r["created_at"]), text=r["body"])
        for r in rows
    ]


def _customer(rows: list[Row], _found: SubjectExport, w: _Words, _why: Explained) -> list[str]:
    return [
        w(key, value=row[column])
        for row in rows
        for key, column in (("customer_name", "name"), ("customer_email", "email"))
        if row.get(column)
    ]


def _started(row: Row) -> float:
    return float(row["started_at"])


def _attempt(row: Row, w: _Words) -> str:
    outcome = w.code("attempt", row["outcome"]) if row["outcome"] else w("under_way")
    return w("attempt", no=row["attempt_no"], when=w.when(row["started_at"]), outcome=outcome)


def _attempts(rows: list[Row], found: SubjectExport, w: _Words, _why: Explained) -> list[str]:
    """Said under their requests; here only those whose request is not exported."""
    asked = {int(r["id"]) for r in found.tables.get("callback_requests", [])}
    alone = [a for a in sorted(rows, key=_started) if int(a["request_id"]) not in asked]
    return [_attempt(a, w) for a in alone] or [w("attempts_above")]


def _calls(rows: list[Row], found: SubjectExport, w: _Words, _why: Explained) -> list[str]:
    return [w("call", when=w.when(row["started_at"])) for row in rows]


def _transcripts(rows: list[Row], found: SubjectExport, w: _Words, _why: Explained) -> list[str]:
    """What was said, call by call, each turn with who said it."""
    lines: list[str] = []
    call = None
    for row in sorted(rows, key=lambda r: (str(r["call_id"]), float(r["at"]))):
        if row["call_id"] != call:
            call = row["call_id"]
            lines.append(w("transcript", when=w.when(row["at"])))
        speaker = w("you") if row["speaker"] == "caller" else w("we")
        lines.append(INDENT + w("turn", who=speaker, text=row["text"]))
    return lines


def _signals(rows: list[Row], found: SubjectExport, w: _Words, _why: Explained) -> list[str]:
    """Each signal: what it was (the pack's word for its kind) and when."""
    lines = []
    for row in sorted(rows, key=lambda r: float(r["at"])):
        kind = f"sim_ablation_kind_{row['kind']}"
        said = (
            w.pack.say(kind)
            if kind in w.pack.prompts
            else w.pack.say("sim_ablation_kind_other", kind=row["kind"])
        )
        lines.append(w("signal", kind=said, when=w.when(row["at"])))
    return lines


def _orders(rows: list[Row], _found: SubjectExport, w: _Words, _why: Explained) -> list[str]:
    """Each order as stored: its number, when it was placed, its state, its tracking number
    (a personal identifier, blanked with the link on erasure) and when it was delivered."""
    lines = []
    for row in sorted(rows, key=lambda r: float(r["created_at"])):
        status = w.code(f"{L}.order_status", row["status"])
        lines.append(
            w("order", number=row["number"], when=w.when(row["created_at"]), status=status)
        )
        if row.get("tracking_number"):
            tracking = {"tracking": row["tracking_number"], "carrier": row.get("carrier")}
            key = "order_tracking_carrier" if row.get("carrier") else "order_tracking"
            lines.append(INDENT + w(key, **tracking))
        if row.get("delivered_at"):
            lines.append(INDENT + w("order_delivered", when=w.when(row["delivered_at"])))
    return lines


def _do_not_call(rows: list[Row], _found: SubjectExport, w: _Words, _why: Explained) -> list[str]:
    """The entry, and when an erasure left only its keyed hash, that it is one."""
    return [
        w(
            "do_not_call_hashed" if is_keyed_hash(r["phone"]) else "do_not_call",
            when=w.when(r["added_at"]),
        )
        for r in rows
    ]


def _kept_orders(rows: list[Row], w: _Words) -> str:
    """Erasure blanks an order's link to the person and keeps the order for the accounts
    (:data:`spillway.personal_data.PERSONAL_DATA`): said as it stands for these rows."""
    linked = any(r.get("customer_phone") for r in rows)
    return w("kept_orders" if linked else "kept_orders_unlinked")


def _kept_do_not_call(rows: list[Row], w: _Words) -> str:
    """Erasure keeps the entry as a keyed hash; only taking it off the list removes it."""
    hashed = all(is_keyed_hash(r["phone"]) for r in rows)
    return w("kept_do_not_call_hashed" if hashed else "kept_do_not_call")


def _kept_hold(_rows: list[Row], w: _Words) -> str:
    """A hold has no period and `gdpr forget` refuses a held number: it lasts until an
    admin releases it (`gdpr release`, `forget --release-hold`), once the request is answered."""
    return w("kept_hold")


# How long a table's rows are kept, where its period (until erased) would say it wrongly.
KEPT: dict[str, Callable[[list[Row], _Words], str]] = {
    "orders": _kept_orders,
    "do_not_call": _kept_do_not_call,
    "gdpr_holds": _kept_hold,
}


def _since(
    key: str, clock: str
) -> Callable[[list[Row], SubjectExport, _Words, Explained], list[str]]:
    def said(rows: list[Row], _found: SubjectExport, w: _Words, _why: Explained) -> list[str]:
        return [w(key, when=w.when(row.get(clock))) for row in rows]

    return said


SECTIONS: dict[str, Callable[[list[Row], SubjectExport, _Words, Explained], list[str]]] = {
    "calls": _calls,
    "transcript_turns": _transcripts,
    "callback_requests": _requests,
    "callback_attempts": _attempts,
    "customer_signals": _signals,
    "cases": _cases,
    "sms_outbox": _messages,
    "customers": _customer,
    "orders": _orders,
    "do_not_call": _do_not_call,
    "ai_timing_optout": _since("ai_optout", "added_at"),
    "gdpr_holds": _since("held", "held_at"),
}
