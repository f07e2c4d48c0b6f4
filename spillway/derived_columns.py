"""Columns the database derives and keeps itself (migration 15), as SQL for both dialects.

A callback request's contact facts (how many attempts, whether the first was
answered, when one first was, the policy that planned the first) are counted
from its attempts; a reply's turn latency (``call_events.turn_ms``) from the
call's events. Here are the columns, their backfill, and the triggers (SQLite's
and PostgreSQL's) that keep them wherever attempts or events change, so that
nothing that writes them can forget. :mod:`spillway.schema` applies them as one
migration; a released migration is never edited, so neither is this SQL.
"""

from __future__ import annotations

# A request's contact facts, counted again from its attempts (migration 15): how many
# attempts, whether the first was answered, when one first was, the policy that planned
# the first. web.kpi_rows.scanned_request_records counts the same from the attempts.
_RECOUNT_CONTACT_FACTS = """
    contact_attempts = (SELECT COUNT(*) FROM callback_attempts a
                        WHERE a.request_id = callback_requests.id),
    first_attempt_answered = CASE WHEN EXISTS (SELECT 1 FROM callback_attempts a
        WHERE a.request_id = callback_requests.id AND a.attempt_no = 1
        AND a.outcome = 'answered') THEN 1 ELSE 0 END,
    contacted_at = (SELECT MIN(a.started_at) FROM callback_attempts a
                    WHERE a.request_id = callback_requests.id AND a.outcome = 'answered'),
    first_attempt_policy = (SELECT MIN(a.policy) FROM callback_attempts a
                            WHERE a.request_id = callback_requests.id AND a.attempt_no = 1)
"""
_TURN_MS = """(
    SELECT CASE WHEN p.kind = 'endpoint' THEN (call_events.at - p.at) * 1000.0 END
    FROM call_events p
    WHERE p.call_id = call_events.call_id AND p.kind IN ('endpoint', 'first_audio')
      AND (p.at, p.kind, p.id) < (call_events.at, call_events.kind, call_events.id)
    ORDER BY p.at DESC, p.kind DESC, p.id DESC LIMIT 1)"""
# A call's turns timed again (an event that stopped being a first audio loses its time).
_RETIME_TURNS = (
    f"UPDATE call_events SET turn_ms = CASE WHEN kind = 'first_audio' THEN {_TURN_MS} END "
    "WHERE (kind = 'first_audio' OR turn_ms IS NOT NULL) AND "
)
# One attempt more: the facts move on from where they stood, without counting again.
_ADD_ATTEMPT = """
    contact_attempts = contact_attempts + 1,
    first_attempt_answered = CASE WHEN NEW.attempt_no = 1 AND NEW.outcome = 'answered'
        THEN 1 ELSE first_attempt_answered END,
    contacted_at = CASE WHEN NEW.outcome = 'answered'
        AND (contacted_at IS NULL OR NEW.started_at < contacted_at)
        THEN NEW.started_at ELSE contacted_at END,
    first_attempt_policy = CASE WHEN NEW.attempt_no = 1
        AND (first_attempt_policy IS NULL OR NEW.policy < first_attempt_policy)
        THEN NEW.policy ELSE first_attempt_policy END
"""
CONTACT_FACTS_COMMON = (
    "ALTER TABLE callback_requests ADD COLUMN contact_attempts INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE callback_requests ADD COLUMN first_attempt_answered INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE callback_requests ADD COLUMN contacted_at REAL",
    "ALTER TABLE callback_requests ADD COLUMN first_attempt_policy TEXT",
    # The backfill: existing requests, counted from their attempts.
    f"UPDATE callback_requests SET {_RECOUNT_CONTACT_FACTS}",
    # The KPIs count the requests created in a window, from this index alone.
    "CREATE INDEX callback_requests_created ON callback_requests(created_at, status, "
    "first_attempt_policy, planned_by, contact_attempts, first_attempt_answered, contacted_at)",
    # The turn latency of each reply's first audio (web.kpis.turn_latencies_ms): from the
    # event just before it among the call's endpoints and first audios, in the order
    # (at, kind, id), when that is the caller's end of speech.
    "ALTER TABLE call_events ADD COLUMN turn_ms REAL",
    f"UPDATE call_events SET turn_ms = {_TURN_MS} WHERE kind = 'first_audio'",
    "CREATE INDEX call_events_turns ON call_events(call_id, turn_ms) WHERE turn_ms IS NOT NULL",
    "CREATE INDEX calls_started ON calls(started_at)",
)
# Kept by the database itself wherever attempts change (the dialer, erasure, retention,
# `simulate --store`, a restore): nothing that writes attempts can forget them.
CONTACT_FACTS_SQLITE_TRIGGERS = (
    "CREATE TRIGGER callback_attempts_facts_insert AFTER INSERT ON callback_attempts "
    f"BEGIN UPDATE callback_requests SET {_ADD_ATTEMPT} WHERE id = NEW.request_id; END",
    "CREATE TRIGGER callback_attempts_facts_update AFTER UPDATE OF request_id, attempt_no, "
    "started_at, outcome, policy ON callback_attempts "
    f"BEGIN UPDATE callback_requests SET {_RECOUNT_CONTACT_FACTS} "
    "WHERE id IN (OLD.request_id, NEW.request_id); END",
    "CREATE TRIGGER callback_attempts_facts_delete AFTER DELETE ON callback_attempts "
    f"BEGIN UPDATE callback_requests SET {_RECOUNT_CONTACT_FACTS} "
    "WHERE id = OLD.request_id; END",
    "CREATE TRIGGER call_events_turns_insert AFTER INSERT ON call_events "
    "WHEN NEW.kind IN ('endpoint', 'first_audio') "
    f"BEGIN {_RETIME_TURNS} call_id = NEW.call_id; END",
    "CREATE TRIGGER call_events_turns_update AFTER UPDATE OF call_id, at, kind ON call_events "
    f"BEGIN {_RETIME_TURNS} call_id IN (OLD.call_id, NEW.call_id); END",
    "CREATE TRIGGER call_events_turns_delete AFTER DELETE ON call_events "
    "WHEN OLD.kind IN ('endpoint', 'first_audio') "
    f"BEGIN {_RETIME_TURNS} call_id = OLD.call_id; END",
)
CONTACT_FACTS_POSTGRES_TRIGGERS = (
    "CREATE FUNCTION callback_contact_facts() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP <> 'INSERT' THEN "
    f"UPDATE callback_requests SET {_RECOUNT_CONTACT_FACTS} WHERE id = OLD.request_id; "
    "END IF; "
    "IF TG_OP = 'INSERT' THEN "
    f"UPDATE callback_requests SET {_ADD_ATTEMPT} WHERE id = NEW.request_id; "
    "ELSIF TG_OP = 'UPDATE' THEN "
    f"UPDATE callback_requests SET {_RECOUNT_CONTACT_FACTS} WHERE id = NEW.request_id; "
    "END IF; "
    "RETURN NULL; "
    "END $$",
    "CREATE TRIGGER callback_attempts_facts AFTER INSERT OR DELETE OR UPDATE OF request_id, "
    "attempt_no, started_at, outcome, policy ON callback_attempts "
    "FOR EACH ROW EXECUTE FUNCTION callback_contact_facts()",
    "CREATE FUNCTION call_events_turns() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP <> 'INSERT' AND OLD.kind IN ('endpoint', 'first_audio') THEN "
    f"{_RETIME_TURNS} call_id = OLD.call_id; "
    "END IF; "
    "IF TG_OP <> 'DELETE' AND NEW.kind IN ('endpoint', 'first_audio') THEN "
    f"{_RETIME_TURNS} call_id = NEW.call_id; "
    "END IF; "
    "RETURN NULL; "
    "END $$",
    "CREATE TRIGGER call_events_turns AFTER INSERT OR DELETE OR UPDATE OF call_id, at, kind "
    "ON call_events FOR EACH ROW EXECUTE FUNCTION call_events_turns()",
)
