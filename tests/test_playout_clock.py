"""The silence a caller hears inside a reply, from when its pieces were queued."""

from __future__ import annotations

import pytest

from bot.speech.playout_clock import PlayoutClock


def test_pieces_queued_ahead_leave_no_gap() -> None:
    clock = PlayoutClock()
    assert clock.queued(10.0, 0.5) == 0.0  # the opener, as it starts
    assert clock.queued(10.2, 1.0) == 0.0  # rendered while the opener plays
    assert clock.queued(11.4, 0.3) == 0.0  # queued before the sentence ahead of it ends
    assert clock.stalled_s == 0.0
    assert clock.ends_at_s == pytest.approx(11.8)


def test_a_late_sentence_is_silence_the_caller_heard() -> None:
    clock = PlayoutClock()
    clock.queued(10.0, 0.5)  # "Thank you." plays to 10.5
    assert clock.queued(10.9, 1.0) == pytest.approx(0.4)  # rendered 0.4 s too late
    assert clock.ends_at_s == pytest.approx(11.9)  # it plays from when it came
    assert clock.queued(12.0, 0.5) == pytest.approx(0.1)
    assert clock.stalled_s == pytest.approx(0.5)


def test_the_first_piece_is_not_a_gap() -> None:
    # The wait before the first audio is the turn's latency, measured apart.
    clock = PlayoutClock()
    assert clock.queued(99.0, 0.2) == 0.0
    assert clock.stalled_s == 0.0
