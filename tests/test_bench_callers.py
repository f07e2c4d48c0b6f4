"""The simulated caller bench_calls and bench_workers both originate (bench/bench_calls.py).

Without a PBX: an AMI stand-in records the action, and refuses one call as an
overloaded Asterisk does. The benches key every measurement on the inbound
channel id (``<tag>-in``, the call id the bot sees), so it must be the one
each bench expects; and a refusal must reach the bench, which decides to
stop (bench_calls) or count the call as a failure (bench_workers).
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.bench_calls import originate_caller
from spillway.errors import AmiError


class _Ami:
    def __init__(self, refuse: int | None = None) -> None:
        self.actions: list[dict[str, str]] = []
        self._refuse = refuse

    async def action(self, fields: dict[str, str]) -> dict[str, Any]:
        if len(self.actions) == self._refuse:
            raise AmiError("Originate failed: too many calls")
        self.actions.append(fields)
        return {"Response": "Success"}


async def test_a_caller_goes_into_the_inbound_context_as_the_sim_caller() -> None:
    ami = _Ami()
    await originate_caller(ami, 7, "run1-25-7")  # type: ignore[arg-type]
    [action] = ami.actions
    assert action["Action"] == "Originate" and action["Async"] == "true"
    assert action["Channel"] == "Local/s@spillway-inbound/n"
    assert (action["Context"], action["Exten"], action["Priority"]) == (
        "spillway-sim-caller",
        "s",
        "1",
    )
    assert action["CallerID"] == "Bench <4500000007>"
    assert (action["ChannelId"], action["OtherChannelId"]) == ("run1-25-7-caller", "run1-25-7-in")


async def test_a_refused_originate_reaches_the_bench() -> None:
    ami = _Ami(refuse=1)
    await originate_caller(ami, 0, "t-0")  # type: ignore[arg-type]
    with pytest.raises(AmiError, match="too many calls"):
        await originate_caller(ami, 1, "t-1")  # type: ignore[arg-type]
    assert [a["OtherChannelId"] for a in ami.actions] == ["t-0-in"]
