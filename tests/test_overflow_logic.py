"""The pure overflow decisions of agi/overflow.py: queue state in, a route out."""

from __future__ import annotations

import pytest

from agi.overflow import (
    OverflowPolicy,
    QueueState,
    parse_count,
    queue_state_from_args,
    route_after_bot,
    route_menu_choice,
    route_new_call,
    route_offer,
)
from spillway.call import BOT_END_ROUTES, MENU_CHOICES, Route
from spillway.settings import QueueSettings

POLICY = OverflowPolicy(min_waiting=1, max_wait_s=30)


def test_policy_comes_from_the_queue_settings() -> None:
    policy = OverflowPolicy.from_settings(QueueSettings(overflow_min_waiting=3, max_wait_s=45))
    assert policy == OverflowPolicy(min_waiting=3, max_wait_s=45)


@pytest.mark.parametrize("agents", [1, 2, 5])
def test_with_n_agents_busy_the_next_call_goes_to_the_bot(agents: int) -> None:
    # All N agents talking, nobody else waiting: call N+1 is the first to wait.
    decision = route_new_call(QueueState(0, 0), POLICY, bot_ready=True)
    assert decision.route is Route.BOT
    # While any of the N is free, the caller goes to the humans.
    for free in range(1, agents + 1):
        assert route_new_call(QueueState(free, 0), POLICY, bot_ready=True).route is Route.QUEUE


@pytest.mark.parametrize(
    ("min_waiting", "already_waiting", "expected"),
    [
        (0, 0, Route.BOT),  # threshold 0: any call without a free agent
        (1, 0, Route.BOT),  # this call alone reaches a threshold of 1
        (2, 0, Route.QUEUE),  # 1 waiting (this call) < 2
        (2, 1, Route.BOT),  # exactly at the threshold
        (3, 1, Route.QUEUE),
        (3, 5, Route.BOT),
    ],
)
def test_the_waiting_threshold_counts_the_new_call(
    min_waiting: int, already_waiting: int, expected: Route
) -> None:
    policy = OverflowPolicy(min_waiting=min_waiting, max_wait_s=30)
    decision = route_new_call(QueueState(0, already_waiting), policy, bot_ready=True)
    assert decision.route is expected
    assert decision.reason


def test_a_free_agent_wins_over_any_queue_length() -> None:
    decision = route_new_call(QueueState(1, 50), POLICY, bot_ready=True)
    assert decision.route is Route.QUEUE
    assert "1 agent(s) free" in decision.reason


def test_unknown_state_or_a_bot_that_is_not_ready_means_the_humans() -> None:
    assert route_new_call(None, POLICY, bot_ready=True).route is Route.QUEUE
    decision = route_new_call(QueueState(0, 10), POLICY, bot_ready=False)
    assert decision.route is Route.QUEUE
    assert "not ready" in decision.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("3", 3), (" 12 ", 12), ("", None), ("-1", None), ("x", None), (None, None)],
)
def test_parse_count(text: str | None, expected: int | None) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["0", "2"], QueueState(0, 2)),
        (["1", "0", "extra"], QueueState(1, 0)),
        (["", "0"], None),  # QUEUE_MEMBER of a missing queue expands to nothing
        (["0"], None),
        ([], None),
        (["two", "1"], None),
    ],
)
def test_queue_state_from_agi_args(args: list[str], expected: QueueState | None) -> None:
    assert queue_state_from_args(args) == expected


def test_unreadable_args_route_to_the_queue() -> None:
    state = queue_state_from_args(["garbage"])
    assert route_new_call(state, POLICY, bot_ready=True).route is Route.QUEUE


@pytest.mark.parametrize(("digits", "route"), [(k, v) for k, v in MENU_CHOICES.items()])
def test_menu_choices(digits: str, route: Route) -> None:
    assert route_menu_choice(digits, bot_ready=True).route is route


@pytest.mark.parametrize("digits", ["", None, " "])
def test_silence_at_the_menu_keeps_waiting(digits: str | None) -> None:
    # The dialplan has already said "you keep your place" (menu_keep_place).
    decision = route_menu_choice(digits, bot_ready=True)
    assert (decision.route, decision.say) == (Route.WAIT, ())


@pytest.mark.parametrize("digits", ["9", "*", "4", "0"])
def test_a_key_the_menu_does_not_offer_plays_the_menu_again(digits: str) -> None:
    decision = route_menu_choice(digits, bot_ready=True)
    assert (decision.route, decision.say) == (Route.MENU_AGAIN, ("menu_key_not_offered",))


def test_menu_uses_the_first_key_only() -> None:
    assert route_menu_choice("31", bot_ready=True).route is Route.CALLBACK
    assert route_menu_choice(" 2", bot_ready=True).route is Route.WAIT


def test_key_1_when_the_bot_is_not_ready_is_a_key_not_offered() -> None:
    # The menu offers key 1 only when the bot can take the call (menu_offers_bot).
    decision = route_menu_choice("1", bot_ready=False)
    assert decision.route is Route.MENU_AGAIN
    assert "not ready" in decision.reason
    # Callback does not need the bot.
    assert route_menu_choice("3", bot_ready=False).route is Route.CALLBACK


def test_after_the_bot_its_request_is_followed() -> None:
    for route in BOT_END_ROUTES:
        assert route_after_bot(route, "SUCCESS").route is route


def test_after_the_bot_no_outcome_or_a_forbidden_one_means_the_queue() -> None:
    decision = route_after_bot(None, "HANGUP")
    assert decision.route is Route.WAIT
    assert "HANGUP" in decision.reason
    assert route_after_bot(None, "").route is Route.WAIT
    # The bot may not loop the caller back into itself or restart the routing.
    for route in (Route.BOT, Route.QUEUE):
        assert route not in BOT_END_ROUTES
        assert route_after_bot(route, "SUCCESS").route is Route.WAIT


def test_every_route_is_an_extension_of_spillway_route() -> None:
    from dialplan.render import render_spillway
    from spillway.settings import Settings

    extensions = render_spillway(Settings(), ami_secret=None)[0].text
    route_section = extensions.split("[spillway-route]", 1)[1].split("\n[", 1)[0]
    for route in Route:
        assert f"exten => {route.value},1," in route_section, route


def test_a_bot_at_its_call_limit_leaves_callers_with_the_humans() -> None:
    decision = route_new_call(QueueState(0, 3), POLICY, bot_ready=True, bot_full=True)
    assert decision.route is Route.QUEUE and "call limit" in decision.reason
    # The offer falls to the dialplan's DTMF menu, which needs nothing of the bot.
    offer = route_offer(bot_ready=True, bot_speaks_offer=True, bot_full=True)
    assert offer.route is Route.OFFER and "call limit" in offer.reason
    assert route_menu_choice("1", bot_ready=True, bot_full=True).route is Route.MENU_AGAIN
    # A callback or a human needs no bot.
    assert route_menu_choice("3", bot_ready=True, bot_full=True).route is Route.CALLBACK
