"""The do-not-call list and the AI-timing opt-out are one kind of list (spillway.number_lists):
a number is on it as itself or as the keyed hash an erasure left, an addition is normalised
and idempotent, and both doors that use them (scheduler.do_not_call, scheduler.timing.optout)
answer alike."""

from __future__ import annotations

import pytest

from scheduler import do_not_call
from scheduler.timing import optout
from spillway.erasure import forget
from spillway.number_lists import AI_TIMING_OPTOUT, DO_NOT_CALL, NumberList
from spillway.storage import SqliteStore

KEY = b"k3y-for-the-number-lists"
NOW = 1796300000.0


@pytest.mark.parametrize("kind", [DO_NOT_CALL, AI_TIMING_OPTOUT], ids=lambda k: k.table)
def test_a_list_holds_a_number_as_itself_or_as_its_keyed_hash(
    store: SqliteStore, kind: NumberList
) -> None:
    with store.transaction() as tx:
        assert kind.put(tx, "20 12 34 56", source="admin", now=NOW, region="DK") == "+4520123456"
        assert kind.put(tx, "+4520123456", source="caller", now=NOW + 1, region="DK")
        assert kind.put(tx, "not a number", source="admin", now=NOW, region="DK") is None
        assert kind.holds(tx, "+4520123456") and not kind.holds(tx, "+4531987654")
    rows = store.query(f"SELECT phone, source, added_at FROM {kind.table}")
    assert rows == [{"phone": "+4520123456", "source": "admin", "added_at": NOW}]  # once
    forget(store, "+4520123456", key=KEY, actor="dpo", now=NOW)
    with store.transaction() as tx:
        if kind is DO_NOT_CALL:  # kept as the keyed hash: found only with the key
            assert not kind.holds(tx, "+4520123456")
            assert kind.holds(tx, "+4520123456", hash_key=KEY)
        else:  # the AI-timing wish goes with the person
            assert not kind.holds(tx, "+4520123456", hash_key=KEY)
    with store.transaction() as tx:
        kind.put(tx, "31987654", source="admin", now=NOW, region="DK")
        assert kind.take_off(tx, "31 98 76 54", region="DK") == ("+4531987654", True)
        assert kind.take_off(tx, "31 98 76 54", region="DK") == ("+4531987654", False)
        assert kind.take_off(tx, "nope", region="DK") == (None, False)


def test_both_doors_use_the_one_list(store: SqliteStore) -> None:
    """The scheduler's do-not-call and the timing room's opt-out read and write the lists."""
    with store.transaction() as tx:
        assert do_not_call.opt_out(tx, "20123456", source="caller", now=NOW, region="DK")
        assert optout.add(tx, "31987654", source="admin", now=NOW, region="DK")
    with store.transaction() as tx:
        assert DO_NOT_CALL.holds(tx, "+4520123456") and do_not_call.is_opted_out(tx, "+4520123456")
        assert AI_TIMING_OPTOUT.holds(tx, "+4531987654")
        assert optout.opted_out_of_ai_timing(tx, "+4531987654")
        assert not do_not_call.is_opted_out(tx, "+4531987654")
        assert not optout.opted_out_of_ai_timing(tx, "+4520123456")
        assert optout.remove(tx, "31987654", region="DK") == ("+4531987654", True)
        assert not AI_TIMING_OPTOUT.holds(tx, "+4531987654")
