"""The database schema, as ordered migrations. This module alone owns it.

A migration is applied once, inside a transaction, and recorded in the
``_migrations`` table with its version, name and time. Never edit a released
migration: add a new one. SQL is kept to the subset SQLite and PostgreSQL
share where that is cheap (TEXT, INTEGER, REAL; times as UNIX seconds). The next
migration is appended to :data:`MIGRATIONS`; the columns the database keeps itself, with
their triggers per dialect, are in :mod:`spillway.derived_columns`.
"""

from __future__ import annotations

from dataclasses import dataclass

from spillway.derived_columns import (
    CONTACT_FACTS_COMMON,
    CONTACT_FACTS_POSTGRES_TRIGGERS,
    CONTACT_FACTS_SQLITE_TRIGGERS,
)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    # Run on PostgreSQL instead of ``statements`` where the dialects part (triggers).
    postgres_statements: tuple[str, ...] | None = None


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "calls and call events",
        (
            """CREATE TABLE calls (
                call_id TEXT PRIMARY KEY,
                caller TEXT,
                channel TEXT,
                transport TEXT,
                started_at REAL NOT NULL,
                answered_at REAL,
                ended_at REAL,
                stage TEXT,
                intent TEXT,
                outcome TEXT,
                case_id TEXT,
                summary TEXT
            )""",
            """CREATE TABLE call_events (
                id INTEGER PRIMARY KEY,
                call_id TEXT NOT NULL REFERENCES calls(call_id),
                at REAL NOT NULL,
                kind TEXT NOT NULL,
                data TEXT NOT NULL DEFAULT '{}'
            )""",
            "CREATE INDEX call_events_call ON call_events(call_id, at)",
            """CREATE TABLE transcript_turns (
                id INTEGER PRIMARY KEY,
                call_id TEXT NOT NULL REFERENCES calls(call_id),
                at REAL NOT NULL,
                speaker TEXT NOT NULL CHECK (speaker IN ('caller', 'bot')),
                text TEXT NOT NULL,
                intent TEXT,
                confidence REAL
            )""",
            "CREATE INDEX transcript_turns_call ON transcript_turns(call_id, at)",
        ),
    ),
    Migration(
        2,
        "callback requests",
        (
            """CREATE TABLE callback_requests (
                id INTEGER PRIMARY KEY,
                phone TEXT NOT NULL,
                name TEXT,
                reason TEXT,
                source TEXT NOT NULL,
                call_id TEXT,
                created_at REAL NOT NULL,
                not_before REAL,
                deadline REAL,
                status TEXT NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0,
                context TEXT NOT NULL DEFAULT '{}'
            )""",
            "CREATE INDEX callback_requests_status ON callback_requests(status, not_before)",
        ),
    ),
    Migration(
        3,
        "shop data",
        (
            """CREATE TABLE customers (
                phone TEXT PRIMARY KEY,
                name TEXT,
                email TEXT
            )""",
            """CREATE TABLE products (
                sku TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                stock INTEGER NOT NULL DEFAULT 0,
                restock_at REAL
            )""",
            """CREATE TABLE orders (
                number TEXT PRIMARY KEY,
                customer_phone TEXT REFERENCES customers(phone),
                status TEXT NOT NULL,
                carrier TEXT,
                tracking_number TEXT,
                created_at REAL NOT NULL,
                expected_delivery_at REAL,
                delivered_at REAL
            )""",
            "CREATE INDEX orders_customer ON orders(customer_phone)",
            """CREATE TABLE order_lines (
                order_number TEXT NOT NULL REFERENCES orders(number),
                line_no INTEGER NOT NULL,
                product_name TEXT NOT NULL,
                quantity INTEGER NOT NULL DEFAULT 1,
                PRIMARY KEY (order_number, line_no)
            )""",
            """CREATE TABLE cases (
                id INTEGER PRIMARY KEY,
                case_id TEXT UNIQUE,
                phone TEXT,
                order_number TEXT,
                reason TEXT NOT NULL,
                call_id TEXT,
                created_at REAL NOT NULL,
                status TEXT NOT NULL DEFAULT 'open',
                context TEXT NOT NULL DEFAULT '{}'
            )""",
            """CREATE TABLE sms_outbox (
                id INTEGER PRIMARY KEY,
                idempotency_key TEXT NOT NULL UNIQUE,
                phone TEXT NOT NULL,
                body TEXT NOT NULL,
                call_id TEXT,
                status TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
                attempts INTEGER NOT NULL DEFAULT 0,
                created_at REAL NOT NULL,
                claimed_at REAL,
                sent_at REAL,
                last_error TEXT
            )""",
            "CREATE INDEX sms_outbox_status ON sms_outbox(status, created_at)",
        ),
    ),
    Migration(
        4,
        "callback request leases",
        (
            "ALTER TABLE callback_requests ADD COLUMN claimed_at REAL",
            "ALTER TABLE callback_requests ADD COLUMN last_error TEXT",
            "ALTER TABLE callback_requests ADD COLUMN closed_at REAL",
        ),
    ),
    Migration(
        5,
        "callback scheduling: attempts, do-not-call list, request facts",
        (
            # The customer's time zone, segment, consent, opt-out of AI timing
            # ("traditional"), their own window and the request's expiry.
            "ALTER TABLE callback_requests ADD COLUMN timezone TEXT",
            "ALTER TABLE callback_requests ADD COLUMN segment TEXT",
            "ALTER TABLE callback_requests ADD COLUMN consent INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE callback_requests ADD COLUMN traditional INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE callback_requests ADD COLUMN not_after REAL",
            "ALTER TABLE callback_requests ADD COLUMN expires_at REAL",
            "ALTER TABLE callback_requests ADD COLUMN idempotency_key TEXT",
            "CREATE UNIQUE INDEX callback_requests_idempotency "
            "ON callback_requests(idempotency_key)",
            "CREATE INDEX callback_requests_phone ON callback_requests(phone, status)",
            # Claims walk the waiting rows in id order, past no finished row:
            # SQLite through (status, id), PostgreSQL through the partial ones.
            "CREATE INDEX callback_requests_due ON callback_requests(status, id)",
            "CREATE INDEX sms_outbox_due ON sms_outbox(status, id)",
            "CREATE INDEX callback_requests_pending ON callback_requests(id) "
            "WHERE status = 'pending'",
            "CREATE INDEX callback_requests_dialling ON callback_requests(id) "
            "WHERE status = 'dialling'",
            "CREATE INDEX sms_outbox_pending ON sms_outbox(id) WHERE status = 'pending'",
            "CREATE INDEX sms_outbox_sending ON sms_outbox(id) WHERE status = 'sending'",
            # One row per dial: written before the Originate, closed with its outcome.
            # The features are what the contact-probability model learns from.
            """CREATE TABLE callback_attempts (
                id TEXT PRIMARY KEY,
                request_id INTEGER NOT NULL REFERENCES callback_requests(id),
                phone TEXT NOT NULL,
                attempt_no INTEGER NOT NULL,
                started_at REAL NOT NULL,
                ended_at REAL,
                outcome TEXT,
                detail TEXT,
                local_weekday INTEGER NOT NULL,
                local_hour INTEGER NOT NULL,
                hours_since_request REAL NOT NULL,
                segment TEXT,
                policy TEXT NOT NULL,
                probability REAL,
                node TEXT
            )""",
            "CREATE INDEX callback_attempts_request ON callback_attempts(request_id)",
            "CREATE INDEX callback_attempts_phone ON callback_attempts(phone, started_at)",
            "CREATE INDEX callback_attempts_open ON callback_attempts(ended_at)",
            """CREATE TABLE do_not_call (
                phone TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                added_at REAL NOT NULL
            )""",
            # Each dialer node's heartbeat, for `spillway scheduler status`.
            """CREATE TABLE scheduler_nodes (
                node TEXT PRIMARY KEY,
                started_at REAL NOT NULL,
                heartbeat_at REAL NOT NULL,
                dialled INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                last_error_at REAL
            )""",
        ),
    ),
    Migration(
        6,
        "callback plans: the policy that chose each next attempt, its probability and why",
        (
            "ALTER TABLE callback_requests ADD COLUMN planned_by TEXT",
            "ALTER TABLE callback_requests ADD COLUMN plan_probability REAL",
            "ALTER TABLE callback_requests ADD COLUMN plan_reason TEXT",
            # How often each node fell back to the conventional rule, and its model's age.
            "ALTER TABLE scheduler_nodes ADD COLUMN policy_fallbacks INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE scheduler_nodes ADD COLUMN model_fitted_at REAL",
        ),
    ),
    Migration(
        7,
        "idempotency keys namespaced by the door they came in by, with a hash of the request",
        (
            # A replayed key with a different request is refused by comparing hashes;
            # rows from before this have none and replay as before.
            "ALTER TABLE callback_requests ADD COLUMN idempotency_hash TEXT",
            # Keys become "<source>:<key>", so a CSV key "spool:<call id>" can no longer
            # pass for the spool's. Spool keys were stored as "spool:<call id>" already.
            "UPDATE callback_requests SET idempotency_key = source || ':' || idempotency_key "
            "WHERE idempotency_key IS NOT NULL AND source <> 'spool'",
        ),
    ),
    Migration(
        8,
        "call outcomes in one vocabulary (spillway.call.CallOutcome), with the callback's id",
        (
            # The callback request a call ended in, also one it joined.
            "ALTER TABLE calls ADD COLUMN callback_id INTEGER",
            # The words before, by what happened. 'bot:done' was every call the
            # bot ended itself: a callback it recorded says so in its summary; a
            # caller who hung up left a caller_gone event (counted as hung up:
            # whether they had been answered first was not recorded).
            "UPDATE calls SET outcome = 'callback' WHERE outcome = 'bot:done' "
            "AND summary LIKE 'callback request % recorded by the bot'",
            "UPDATE calls SET outcome = 'hangup' WHERE outcome = 'bot:done' AND EXISTS "
            "(SELECT 1 FROM call_events e WHERE e.call_id = calls.call_id "
            "AND e.kind = 'caller_gone')",
            "UPDATE calls SET outcome = 'resolved' WHERE outcome = 'bot:done'",
            # A hand-over after the bot or its media failed.
            "UPDATE calls SET outcome = 'failed' WHERE outcome = 'bot:handoff' AND EXISTS "
            "(SELECT 1 FROM call_events e WHERE e.call_id = calls.call_id "
            "AND e.kind = 'bot_error')",
            "UPDATE calls SET outcome = 'handoff' "
            "WHERE outcome IN ('bot:handoff', 'bot:wait', 'bot:offer')",
            "UPDATE calls SET outcome = 'callback' WHERE outcome IN ('bot:callback', 'callback')",
            "UPDATE calls SET outcome = 'failed' "
            "WHERE outcome IN ('bot:failed', 'controller restarted')",
            "UPDATE calls SET callback_id = (SELECT MIN(r.id) FROM callback_requests r "
            "WHERE r.call_id = calls.call_id) WHERE outcome = 'callback'",
        ),
    ),
    Migration(
        9,
        "data protection: audit log, holds, anonymous contact aggregates",
        (
            # Who erased or expired personal data, when and how many rows; never the number.
            """CREATE TABLE gdpr_audit (
                id INTEGER PRIMARY KEY,
                at REAL NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                rows INTEGER NOT NULL,
                detail TEXT NOT NULL DEFAULT '{}'
            )""",
            # A person with an access request in progress: retention skips them.
            """CREATE TABLE gdpr_holds (
                phone TEXT PRIMARY KEY,
                reason TEXT,
                held_at REAL NOT NULL,
                held_by TEXT NOT NULL
            )""",
            # What the contact model learned from attempts that retention or erasure
            # removed: answers and tries per segment, hour of the week and attempt number.
            """CREATE TABLE contact_aggregates (
                segment TEXT NOT NULL,
                local_weekday INTEGER NOT NULL,
                local_hour INTEGER NOT NULL,
                attempt_no INTEGER NOT NULL,
                tries INTEGER NOT NULL,
                answers INTEGER NOT NULL,
                PRIMARY KEY (segment, local_weekday, local_hour, attempt_no)
            )""",
            "CREATE INDEX callback_attempts_started ON callback_attempts(started_at)",
            "CREATE INDEX calls_caller ON calls(caller)",
            "CREATE INDEX callback_requests_call ON callback_requests(call_id)",
            "CREATE INDEX cases_phone ON cases(phone)",
            "CREATE INDEX sms_outbox_phone ON sms_outbox(phone)",
        ),
    ),
    Migration(
        10,
        "scheduler node state: dialling, or why not (AMI login failed ...)",
        ("ALTER TABLE scheduler_nodes ADD COLUMN state TEXT",),
    ),
    Migration(
        11,
        "each request's timing (predicted or conventional) and why; simulated rows marked",
        (
            # 'predicted' or 'conventional'. NULL on requests from before: they follow
            # callbacks.policy, as they always did.
            "ALTER TABLE callback_requests ADD COLUMN timing TEXT",
            # Why the request has that timing: 'policy' (callbacks.policy), 'pilot' (the
            # pilot split drew it at intake) or 'customer' (the customer asked for a
            # plain callback; always conventional, and reported apart in a pilot).
            "ALTER TABLE callback_requests ADD COLUMN timing_reason TEXT",
            # Written by `spillway simulate --store`; `spillway db purge-simulated` removes it.
            "ALTER TABLE callback_requests ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0",
        ),
    ),
    Migration(
        12,
        "the idempotency keys of requests that joined an open request",
        (
            # A keyed request that joined another left no row of its own, so its key
            # was unknown and a replay joined again (a second merge entry, the window
            # moved again). Its key is kept here, against the request it joined.
            """CREATE TABLE callback_request_keys (
                idempotency_key TEXT PRIMARY KEY,
                request_id INTEGER NOT NULL,
                idempotency_hash TEXT,
                created_at REAL NOT NULL
            )""",
            "CREATE INDEX callback_request_keys_request ON callback_request_keys(request_id)",
        ),
    ),
    Migration(
        13,
        "shadow mode: the predicted first-attempt plan logged beside the conventional one",
        (
            # One row per request planned in shadow mode (callbacks.policy: shadow): the
            # conventional first attempt that was dialled and the predicted one that was
            # not, each with the contact model's P(answer) in its hour of the week.
            """CREATE TABLE shadow_plans (
                request_id INTEGER NOT NULL PRIMARY KEY,
                planned_at REAL NOT NULL,
                conventional_at REAL NOT NULL,
                conventional_probability REAL NOT NULL,
                predicted_at REAL NOT NULL,
                predicted_probability REAL NOT NULL,
                predicted_propensity REAL,
                same_slot INTEGER NOT NULL DEFAULT 0
            )""",
            "CREATE INDEX shadow_plans_planned ON shadow_plans(planned_at)",
        ),
    ),
    Migration(
        14,
        "numbers that opted out of AI timing for good: always a plain (conventional) callback",
        (
            # `spillway callbacks optout --ai-timing PHONE`; E.164, like do_not_call.
            """CREATE TABLE ai_timing_optout (
                phone TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                added_at REAL NOT NULL
            )""",
        ),
    ),
    Migration(
        15,
        "each request's contact facts, kept from its attempts, so the console's KPIs are an "
        "indexed aggregate instead of a scan of the attempts",
        (*CONTACT_FACTS_COMMON, *CONTACT_FACTS_SQLITE_TRIGGERS),
        postgres_statements=(*CONTACT_FACTS_COMMON, *CONTACT_FACTS_POSTGRES_TRIGGERS),
    ),
    Migration(
        16,
        "a product's and an order line's name per language (one database serves every pack)",
        (
            # products.name / order_lines.product_name stay the names the shop keeps
            # (and what a pack without its own name says); these add one per language.
            """CREATE TABLE product_names (
                sku TEXT NOT NULL REFERENCES products(sku),
                language TEXT NOT NULL,
                name TEXT NOT NULL,
                PRIMARY KEY (sku, language)
            )""",
            """CREATE TABLE order_line_names (
                order_number TEXT NOT NULL,
                line_no INTEGER NOT NULL,
                language TEXT NOT NULL,
                name TEXT NOT NULL,
                PRIMARY KEY (order_number, line_no, language),
                FOREIGN KEY (order_number, line_no) REFERENCES order_lines(order_number, line_no)
            )""",
        ),
    ),
    Migration(
        17,
        "the customer's own signals (web visits, e-mail opens, inbound calls, SMS replies): "
        "timestamped evidence of the hours they are reachable",
        (
            # One row per event; event_id makes every intake idempotent (POST /signals,
            # `spillway signals import`, the controller's inbound call). at is the
            # event's own time (epoch seconds, UTC); received_at when we learned of it.
            """CREATE TABLE customer_signals (
                event_id TEXT PRIMARY KEY,
                phone TEXT NOT NULL,
                kind TEXT NOT NULL,
                at REAL NOT NULL,
                source TEXT NOT NULL,
                received_at REAL NOT NULL
            )""",
            "CREATE INDEX customer_signals_phone_at ON customer_signals(phone, at)",
            "CREATE INDEX customer_signals_at ON customer_signals(at)",
        ),
    ),
    Migration(
        18,
        "which worker (pbx.workers) has each call, so a worker that restarts closes only "
        "its own open calls",
        (
            # "" is the one worker of a configuration that lists none (and every older call).
            "ALTER TABLE calls ADD COLUMN worker TEXT NOT NULL DEFAULT ''",
            "CREATE INDEX calls_open_by_worker ON calls(worker) WHERE ended_at IS NULL",
        ),
    ),
    Migration(
        19,
        "a shop's customer ids mapped to phone numbers, so that its signals keyed by "
        "customer id reach the customer's number",
        (
            # One number per customer id (a re-mapping replaces it); mapped_at is when
            # it was last set, so an unused mapping expires like a phone number.
            """CREATE TABLE signal_customer_ids (
                customer_id TEXT PRIMARY KEY,
                phone TEXT NOT NULL,
                mapped_at REAL NOT NULL
            )""",
            "CREATE INDEX signal_customer_ids_phone ON signal_customer_ids(phone)",
            "CREATE INDEX signal_customer_ids_mapped ON signal_customer_ids(mapped_at)",
        ),
    ),
    Migration(
        20,
        "why a hold was released: the admin's reason in the audit log (never the number)",
        ("ALTER TABLE gdpr_audit ADD COLUMN reason TEXT",),
    ),
    Migration(
        22,
        "the contact model the scheduler fitted last, stored for `callbacks explain` and "
        "`gdpr export`, so that they need not fit one from every attempt",
        (
            # One row per model (name 'contact'), replaced at each refit. body: the
            # model without its customers, as JSON (scheduler.timing.stored_model);
            # fingerprint: the code and settings that fitted it (else not used).
            """CREATE TABLE fitted_models (
                name TEXT PRIMARY KEY,
                fingerprint TEXT NOT NULL,
                fitted_at REAL NOT NULL,
                body TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        23,
        "the console's KPIs find the simulated requests and the calls' stages by index, "
        "not by reading every request and every event",
        (
            # Few or none: `simulate --store` writes them (web.kpi_rows.simulated_requests).
            "CREATE INDEX callback_requests_simulated ON callback_requests(created_at) "
            "WHERE simulated = 1",
            # The hand-over reasons: a few stage events per call among all its events.
            "CREATE INDEX call_events_stages ON call_events(call_id, at) WHERE kind = 'stage'",
        ),
    ),
    Migration(
        24,
        "a customer's signals are read from the index alone when the dialer plans their "
        "callback, not looked up row by row in the table",
        (
            # signals_for reads (phone, kind, at) for one customer at every plan; with kind
            # in the index the read never visits the table (docs/PERFORMANCE.md).
            "CREATE INDEX customer_signals_phone_at_kind ON customer_signals(phone, at, kind)",
            "DROP INDEX customer_signals_phone_at",
        ),
    ),
    Migration(
        25,
        "an erasure's audit record keeps the erased number's keyed hash, so restoring an "
        "older backup erases that person again",
        (
            # keyed_hash(number, gdpr.hash_key), never the number (spillway.erasure_replay).
            "ALTER TABLE gdpr_audit ADD COLUMN erased_hash TEXT",
        ),
    ),
    Migration(
        26,
        "an attempt keeps the chance of an answer its plan stated; the share of the "
        "policy's draws that picked the hour is named as what it is (pick_share)",
        (
            # `probability` held the pick share (offline evaluation weighs by it), and
            # the console's calibration read it as the chance of an answer: an hour the
            # model is sure of is picked by every draw, so "100 %" stood beside "43 %
            # answered". Attempts from before keep no chance (NULL): they are left out of
            # the calibration, which says how many. A request's plan keeps its chance in
            # plan_reason, which the dialer copies onto the attempt.
            "ALTER TABLE callback_attempts RENAME COLUMN probability TO pick_share",
            "ALTER TABLE callback_attempts ADD COLUMN chance REAL",
            "ALTER TABLE callback_requests RENAME COLUMN plan_probability TO plan_pick_share",
        ),
    ),
)


# Numbers no migration has: 21 was never used (taken by work that was not merged), so
# no database has it and none is missing. Applied versions are recorded in _migrations,
# so the later ones keep their numbers; `spillway db status` says so beside the list.
UNUSED_VERSIONS: frozenset[int] = frozenset({21})


def latest_version() -> int:
    return MIGRATIONS[-1].version if MIGRATIONS else 0
