"""The console's data-protection page (admin only): search, export, forget, hold, release, audit.

Every route needs the ``admin`` role (a viewer or supervisor gets 403,
:class:`web.auth.RequireLogin` has already refused anyone without a session)
and every action is a POST carrying the session's CSRF token. The number
travels only in posted forms, never in a URL, so it stays out of access
logs, the browser's history and ``Referer``.

Nothing here erases or exports on its own: the search counts the rows
:func:`scheduler.subject_access.person_rows` finds, the export is
:func:`scheduler.subject_access.export_person` (the same JSON `spillway gdpr
export` writes), forget is :func:`scheduler.forget_person.forget_everywhere`,
hold and release are :mod:`spillway.retention`'s; each records the console
user as the actor in the audit log, and so does a look-up (:func:`looked_up`:
who searched, when, how many rows per table, never the number). Forget asks
first: a confirmation that repeats the number and what will go, and for a number on
hold (an access request in progress) the hold, and a field for why it ends: without
a reason the erasure is refused, as `gdpr forget` refuses it without --release-hold.

Hold and release answer with a redirect (POST/redirect/GET, so a reload repeats
nothing), and when they were pressed in a search's result the page they lead to
shows that result again, updated: the number stays on the server (a short-lived
entry the session names by a random token), not in the URL or the cookie.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from scheduler.do_not_call import is_opted_out
from scheduler.forget_person import OnHold, forget_everywhere
from scheduler.requests import OPEN_STATUSES
from scheduler.subject_access import export_person, person_rows
from spillway.audit import audit, audit_log, checked_reason
from spillway.errors import ConfigError, InputError
from spillway.personal_data import PERSONAL_DATA, is_keyed_hash
from spillway.phone import mask_phone, normalise_phone
from spillway.retention import hold, holds, release
from spillway.settings import Settings
from spillway.storage import AsyncStore, Row, Store
from web.auth import require_role
from web.csrf import checked_form
from web.pages import page_text, render
from web.users import Role, User

PAGE = "/data-protection"
AUDIT_ROWS = 50
FORGOTTEN = "forgotten"  # the session's key for the last forget's result
HELD = "held"  # the session's key for what the last hold did
SHOWN = "shown"  # the session's key for the token of the number a hold or release acted on
SHOWN_FOR_S = 300.0  # how long the page a hold or release redirects to may show that number
FROM_FOUND = "found"  # the hidden "back" field of the forms in a search's result


@dataclass(frozen=True, slots=True)
class Held:
    """What is stored about one number: rows per table of the map, its hold, its opt-out."""

    phone: str
    counts: dict[str, int]  # mapped table -> the person's rows, only where there are some
    hold: Row | None
    opted_out: bool  # on the do-not-call list, as the number or as its keyed hash
    open_callbacks: int = 0  # its callbacks still waiting for a call (erasure cancels them)
    # On the list only as its keyed hash: an erasure took the number and kept the opt-out.
    opt_out_hashed: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def what_is_held(store: Store, e164: str, hash_key: bytes | None) -> Held:
    """Count the person's rows: the rows export gives (with ``hash_key``, an erased
    number's do-not-call entry, kept as its keyed hash, too) and erasure removes or keeps."""
    found = person_rows(store, e164, hash_key=hash_key)
    counts = {t.name: len(found[t.name]) for t in PERSONAL_DATA if found[t.name]}
    with store.transaction() as tx:
        opted_out = is_opted_out(tx, e164, hash_key=hash_key)
    held = found["gdpr_holds"][0] if found["gdpr_holds"] else None
    waiting = sum(r["status"] in OPEN_STATUSES for r in found["callback_requests"])
    entries = found["do_not_call"]
    # As the export's letter says how it is kept (scheduler/subject_letter.py).
    hashed = bool(entries) and all(is_keyed_hash(r["phone"]) for r in entries)
    return Held(e164, counts, held, opted_out, waiting, hashed)


def looked_up(store: Store, e164: str, hash_key: bytes | None, *, actor: str, now: float) -> Held:
    """:func:`what_is_held`, recorded in the audit log as a ``search`` by ``actor``.

    Looking a person up discloses what is kept about them, so it is accounted
    for like an export: who, when and how many rows per table, never the number.
    """
    found = what_is_held(store, e164, hash_key)
    with store.transaction() as tx:
        audit(tx, actor=actor, action="search", rows=found.counts, now=now)
    return found


def reason_refused(request: Request, exc: InputError) -> str:
    """A hold's or release's reason refused, in the console's language, with what to
    write in the form's Reason field (the CLI's hint names its --reason flag)."""
    text = page_text(request)
    name = exc.code.rsplit(".", 1)[-1]  # input.hold_needs_reason -> hold_needs_reason
    message = exc.wording.said(text) if exc.wording else exc.message
    hint = f"dp.reason_hint.{name}"
    if hint not in text.strings:
        return message
    return f"{message} ({text(hint, field=text('dp.reason'))})"


def data_protection_routes(settings: Settings, store: AsyncStore) -> list[Route]:
    region = settings.shop.country

    def admin(request: Request) -> User:
        return require_role(request, Role.ADMIN)

    def number(form: FormData) -> tuple[str, str | None]:
        """The form's number as typed, and in E.164 (None: not a number)."""
        raw = str(form.get("phone", "")).strip()[:40]
        return raw, normalise_phone(raw, region)

    async def posted(request: Request) -> tuple[User, FormData, str]:
        """The admin, their CSRF-checked form, and the form's number in E.164."""
        user = admin(request)
        form = await checked_form(request)
        raw, e164 = number(form)
        if e164 is None:
            raise HTTPException(400, page_text(request)("dp.not_a_number", number=repr(raw)))
        return user, form, e164

    def hash_key() -> bytes | None:
        return settings.gdpr.hash_key_bytes()

    # The number a hold or release pressed in a search's result acted on, for the page the
    # redirect shows (token -> number, until): on the server, so it is in no URL or cookie.
    shown: dict[str, tuple[str, float]] = {}

    def keep_shown(request: Request, form: FormData, e164: str) -> None:
        if form.get("back") != FROM_FOUND:
            return
        now = time.time()
        for token in [t for t, (_, until) in shown.items() if until < now]:
            del shown[token]
        token = secrets.token_urlsafe(16)
        shown[token] = (e164, now + SHOWN_FOR_S)
        request.session[SHOWN] = token

    async def shown_again(request: Request) -> Held | None:
        """What is held about the number the last hold or release acted on (once). Not
        audited as a search: the hold or release that led here is in the audit log, by
        the same user, a moment ago."""
        entry = shown.pop(str(request.session.pop(SHOWN, "")), None)
        if entry is None or entry[1] < time.time():
            return None
        return await store.run(what_is_held, store.store, entry[0], hash_key())

    async def page(request: Request, *, status: int = 200, **context: Any) -> Response:
        def read() -> tuple[list[Row], list[Row]]:
            return holds(store.store), audit_log(store.store, limit=AUDIT_ROWS)

        held_list, entries = await store.run(read)
        # Without the erasure key no erasure can be done (forget refuses it): the page
        # offers none, and says why, rather than a button that loses the search.
        return render(
            request,
            "data_protection.html",
            {
                "page": "data-protection",
                "holds": held_list,
                "audit": entries,
                "can_forget": hash_key() is not None,
                **context,
            },
            status_code=status,
        )

    async def show(request: Request) -> Response:
        admin(request)
        # What the last forget did, shown once: a reload of this page shows and writes nothing.
        forgotten = request.session.pop(FORGOTTEN, None)
        return await page(
            request,
            forgotten=forgotten,
            held=request.session.pop(HELD, None),
            found=await shown_again(request),
        )

    async def look_up(user: User, e164: str) -> Held:
        return await store.run(
            lambda: looked_up(store.store, e164, hash_key(), actor=user.name, now=time.time())
        )

    async def search(request: Request) -> Response:
        user = admin(request)
        raw, e164 = number(await checked_form(request))
        if e164 is None:  # nothing was looked up
            problem = page_text(request)("dp.not_a_number", number=repr(raw))
            return await page(request, status=400, problem=problem)
        return await page(request, found=await look_up(user, e164))

    async def export(request: Request) -> Response:
        user, _, e164 = await posted(request)
        found = await store.run(
            lambda: export_person(store.store, e164, settings, now=time.time(), actor=user.name)
        )
        name = "subject-" + e164.lstrip("+") + ".json"
        return Response(
            found.json_text() + "\n",
            media_type="application/json; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def forget(request: Request) -> Response:
        user, form, e164 = await posted(request)
        if hash_key() is None:  # said before the confirmation, not after it
            problem = page_text(request)(
                "dp.no_hash_key", command="spillway gdpr key", serve="spillway web serve"
            )
            return await page(request, status=409, problem=problem)
        if form.get("confirm") != e164:  # the confirmation shows what is held: a look-up
            return await page(request, confirm=await look_up(user, e164))
        # A held number is erased only with the form's reason to release the hold
        # (forget_everywhere refuses it otherwise, as it does `gdpr forget`).
        why = str(form.get("release_hold", "")).strip() or None
        try:
            done = await store.run(
                lambda: forget_everywhere(
                    store.store, e164, settings, actor=user.name, now=time.time(), release_hold=why
                )
            )
        except ConfigError as exc:
            return await page(request, status=409, problem=exc.said(page_text(request)))
        except InputError as exc:  # on hold (OnHold), or a release reason refused
            status = 409 if isinstance(exc, OnHold) else 400
            problem = reason_refused(request, exc)
            return await page(
                request, status=status, problem=problem, confirm=await look_up(user, e164)
            )
        # POST/redirect/GET: the answer is a 303 to the page, which shows what went (from
        # the session, with the number masked), so a reload repeats the GET, not the erasure.
        request.session[FORGOTTEN] = {
            "phone": mask_phone(e164),
            "total": done.erased.total,
            "cancelled": done.erased.cancelled,
            "do_not_call_kept": done.erased.do_not_call_kept,
            "counts": done.counts,
        }
        return RedirectResponse(PAGE, status_code=303)

    async def hold_(request: Request) -> Response:
        user, form, e164 = await posted(request)
        reason = str(form.get("reason", ""))
        try:
            checked_reason(reason, e164, action="hold")
        except InputError as exc:
            return await page(request, status=400, problem=reason_refused(request, exc))
        done = await store.run(
            lambda: hold(store.store, e164, reason=reason, actor=user.name, now=time.time())
        )
        # Said once on the page the redirect shows, as `gdpr hold` says it (in the
        # console's language: dp.held_placed / dp.held_reason_added).
        request.session[HELD] = page_text(request)(f"dp.held_{done.value}", phone=mask_phone(e164))
        keep_shown(request, form, e164)
        return RedirectResponse(PAGE, status_code=303)

    async def release_(request: Request) -> Response:
        user, form, e164 = await posted(request)
        reason = str(form.get("reason", ""))
        try:
            checked_reason(reason, e164)
        except InputError as exc:
            return await page(request, status=400, problem=reason_refused(request, exc))
        await store.run(
            lambda: release(store.store, e164, reason=reason, actor=user.name, now=time.time())
        )
        keep_shown(request, form, e164)
        return RedirectResponse(PAGE, status_code=303)

    return [
        Route(PAGE, show, methods=["GET"]),
        Route(f"{PAGE}/search", search, methods=["POST"]),
        Route(f"{PAGE}/export", export, methods=["POST"]),
        Route(f"{PAGE}/forget", forget, methods=["POST"]),
        Route(f"{PAGE}/hold", hold_, methods=["POST"]),
        Route(f"{PAGE}/release", release_, methods=["POST"]),
    ]
