"""A database filled through every door, for the data-protection tests and benchmark.

A bot call with its transcript, a complaint case and its SMS, callback
requests from the bot, CSV, the API and the menu's spool, the dialer's
attempts (an in-memory PBX, in shadow mode), an opt-out, and the local shop's customer
record: for the person under test and for a bystander whose data must stay.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import numpy as np

from agi.call_log import CallLog
from bot.backends import CallbackRequest
from bot.backends.local import LocalCallbacks, LocalCases
from bot.backends.sms import SmsOutbox
from scheduler import do_not_call, intake, signal_customers, signals
from scheduler.csv_import import parse_csv
from scheduler.dialer import Dialer, DialerConfig
from scheduler.rules import CallingRules
from scheduler.signals import SignalEvent, SignalKind
from scheduler.spool import import_spool
from scheduler.timing import optout as timing_optout
from scheduler.timing.policy import ConventionalPolicy
from scheduler.timing.shadow import ShadowPolicy
from spillway.call import CallOutcome
from spillway.settings import Settings
from spillway.storage import AsyncStore, SqliteStore, Store
from tests.test_dialer_logic import FakePbx
from web.callbacks_api import create_app

ALWAYS = CallingRules(windows=((0.0, 24.0),) * 7, holiday_country=None, min_gap_s=0)
TOKEN = "t0ken-for-gdpr-0123456789"
FLAT = np.full(168, 0.3)  # the contact model, as shadow mode asks it


async def fill_through_every_door(
    store: Store, tmp_path: Path, *, national: str, call_id: str, opt_out: bool
) -> None:
    """Everything Spillway can store about the number ``45`` + ``national``."""
    db = AsyncStore(store)
    e164 = "+45" + national
    try:
        log = CallLog(db)
        # Asterisk's caller ID arrives without its "+"; the caller spells their number.
        await log.start(call_id, caller="45" + national, channel="PJSIP/trunk-1", transport="ws")
        spaced = " ".join(national[i : i + 2] for i in range(0, 8, 2))
        await log.turn(call_id, "caller", f"my vase arrived broken, call me on {spaced}")
        await log.turn(call_id, "bot", "I am sorry. I have opened a case and sent you a link.")
        case = await LocalCases(db).create_case(
            "vase broken",
            phone=e164,
            order_number="10043",
            call_id=call_id,
            context={"n": national},
        )
        await SmsOutbox(db).enqueue(
            e164, f"Upload photos for {case.case_id}", idempotency_key=f"{call_id}-sms"
        )
        await log.outcome(
            call_id, CallOutcome.RESOLVED, case_id=case.case_id, summary=f"case from {e164}"
        )
        await LocalCallbacks(db).request_callback(CallbackRequest(e164, "complaint", call_id))
        # The dialer reaches them: that request is done, with its attempt.
        pbx = FakePbx()
        # In shadow mode, so that the predicted plan is logged beside each first attempt.
        shadow = ShadowPolicy(ConventionalPolicy(), ConventionalPolicy(), lambda _f: FLAT)
        dialer = Dialer(
            db, pbx, ALWAYS, DialerConfig(status_poll_s=0.01, node="gdpr"), policy=shadow
        )
        await dialer.tick()
        await dialer.wait_idle(5)
        # CSV, then a busy attempt: pending again, with a second attempt.
        parsed = parse_csv(
            f"phone,name,reason\n{national},Anna Jensen,invoice question\n",
            region="DK",
            default_timezone="Europe/Copenhagen",
        )
        with store.transaction() as tx:
            for _line, request in parsed.requests:
                intake.record(tx, request, region="DK", now=time.time())
        pbx.statuses[e164] = "BUSY"
        await dialer.tick()
        await dialer.wait_idle(5)
        # The API and the menu's spool: both join the open request.
        app = create_app(Settings(web={"api_token": TOKEN}), db)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api"
        ) as client:
            answer = await client.post(
                "/callbacks",
                json={"phone": spaced, "name": "Anna Jensen", "reason": "web form"},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert answer.status_code in (200, 201, 202), answer.text
            # The web shop knows them by its own id, mapped to their number, and sends a
            # visit by that id (POST /signals resolves it).
            with store.transaction() as tx:
                signal_customers.map_customer(tx, f"shop-{call_id}", e164, now_s=time.time())
            answer = await client.post(
                "/signals",
                json=[
                    {
                        "id": f"visit-{call_id}",
                        "customer_id": f"shop-{call_id}",
                        "kind": "web_visit",
                        "at": time.time() - 7200,
                    }
                ],
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert answer.status_code == 200 and answer.json()["stored"] == 1, answer.text
        spool = tmp_path / f"spool-{national}"
        (spool / "new").mkdir(parents=True)
        (spool / "new" / f"{call_id}.json").write_text(
            json.dumps(
                {
                    "version": 1,
                    "phone": "45" + national,
                    "call_id": call_id,
                    "requested_at": time.time(),
                }
            )
        )
        report = import_spool(
            store, spool, region="DK", default_timezone="Europe/Copenhagen", now=time.time()
        )
        assert report.imported and not report.bad
        # The shop's own record of them.
        store.insert("customers", {"phone": e164, "name": "Anna Jensen", "email": "a@x.dk"})
        store.insert(
            "orders",
            {
                "number": f"O-{call_id}",
                "customer_phone": e164,
                "status": "shipped",
                "tracking_number": f"TRK{national}",
                "created_at": time.time(),
            },
        )
        with store.transaction() as tx:
            # The shop told us they opened an e-mail (a signal of their hours).
            event = SignalEvent(e164, SignalKind.EMAIL_OPEN, time.time() - 3600)
            signals.record(tx, f"open-{call_id}", event, source="api", now_s=time.time())
        if opt_out:
            with store.transaction() as tx:
                # First they asked for plain callbacks, never timed by the model.
                timing_optout.add(tx, national, source="caller", now=time.time(), region="DK")
            # Then never to be called again (their open request is cancelled).
            with store.transaction() as tx:
                do_not_call.opt_out(tx, national, source="caller", now=time.time(), region="DK")
    finally:
        db.close()


async def opted_out_and_bystander(tmp_path: Path, *, opted: str, plain: str) -> SqliteStore:
    """A database in ``tmp_path`` filled for two people: ``opted`` (national; their
    call is c-anna) asked not to be called, ``plain`` (call c-bo) did not."""
    store = SqliteStore(tmp_path / "world.db")
    store.migrate()
    await fill_through_every_door(store, tmp_path, national=opted, call_id="c-anna", opt_out=True)
    await fill_through_every_door(store, tmp_path, national=plain, call_id="c-bo", opt_out=False)
    return store
