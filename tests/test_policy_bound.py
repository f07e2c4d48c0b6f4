"""The benchmark's bound: the slot policy fed the exact posterior under the world's generator.

Its prior samples are drawn as the world draws its customers (checked
against :func:`scheduler.simulation.world.population`); with no noise and no peaks the
posterior is the segment's curve and the run is segment_oracle's to the
last call; history moves a customer's posterior the way their answers say. What a
run's first attempts were worth without the answers' draws is the true probability
in the hour called (a season's factor included), and the rule's value that times the
lead value; the patience the bound is given moves its calls later.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.bound_check import likelihood
from bench.policy_bound import (
    BoundPolicyFactory,
    PosteriorBeliefs,
    first_attempts,
    gap_closed,
    prior_samples,
)
from scheduler.simulation.report import kpis
from scheduler.simulation.simulator import PolicyName, SimAttempt, simulate
from scheduler.simulation.world import World, population
from scheduler.timing.contact_model import slot_of
from tests.test_simulator import small_world


def _without_policy(result: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in result.items() if k != "policy"}


def test_prior_samples_are_drawn_as_the_world_draws_its_customers() -> None:
    world = World.model_validate(small_world())
    segment = world.segments[0]
    people = population(world, np.random.default_rng(1))
    truth = people.truth[people.segment == 0]  # 600 customers of the households segment
    samples = prior_samples(segment, 20_000, np.random.default_rng(2))
    assert samples.shape == (20_000, 168)
    assert samples.min() >= 0.0 and samples.max() <= 0.95
    # The mean over 600 customers has a standard error of about 0.01 per cell.
    assert np.abs(samples.mean(axis=0) - truth.mean(axis=0)).max() < 0.05
    assert abs(samples.std() - truth.std()) < 0.01


def test_without_noise_or_peaks_the_bound_is_segment_oracle_call_for_call() -> None:
    plain = small_world()
    for segment in plain["segments"]:  # type: ignore[attr-defined]
        segment["customer_noise"] = 0.0
        segment["personal_peak"] = None
    world = World.model_validate(plain)
    bound = kpis(simulate(world, BoundPolicyFactory(64)))
    oracle = kpis(simulate(world, PolicyName.SEGMENT_ORACLE))
    assert bound["policy"] == "posterior_bound"
    assert _without_policy(bound) == _without_policy(oracle)


def test_a_customers_answers_move_their_posterior() -> None:
    world = World.model_validate(small_world())
    people = population(world, np.random.default_rng(world.seed))
    tuesday_ten, thursday_eleven = (1, 10), (3, 11)

    def tries(customer: int, day_hour: tuple[int, int], answered: bool) -> list[SimAttempt]:
        day, hour = day_hour
        return [
            SimAttempt(i, customer, 1, 0.0, answered, "posterior_bound", 1.0, day, hour)
            for i in range(6)
        ]

    history = [
        *tries(0, tuesday_ten, True),  # customer 0 answered six times on Tuesdays at ten
        *tries(1, tuesday_ten, True),  # customer 1 too, and missed six calls on Thursdays at 11
        *tries(1, thursday_eleven, False),
        *tries(2, thursday_eleven, False),  # customer 2 only missed those
    ]
    beliefs = PosteriorBeliefs(world, people, lambda: history, 20_000)
    prior = beliefs.prior_mean[0]
    answered_slot, failed_slot = slot_of(*tuesday_ten), slot_of(*thursday_eleven)
    answers_only, both, misses_only = beliefs.mean(0), beliefs.mean(1), beliefs.mean(2)
    assert answers_only[answered_slot] > prior[answered_slot] + 0.2
    # Six answers also say the customer is easy to reach at all (the noise is per
    # customer as well as per cell), so every slot rises; the misses pull one back.
    assert answers_only[failed_slot] > prior[failed_slot]
    assert both[failed_slot] < answers_only[failed_slot]
    assert misses_only[failed_slot] < prior[failed_slot]
    assert beliefs.mean(3) is prior  # never called: the generator's mean
    assert len(beliefs.ess) == 3 and all(0 < e < 20_000 for e in beliefs.ess)


def test_gap_closed() -> None:
    assert gap_closed(0.5, 0.3, 0.7) == pytest.approx(0.5)
    assert gap_closed(0.2, 0.3, 0.7) == pytest.approx(-0.25)  # worse than calling at once
    assert gap_closed(0.3, 0.3, 0.3) is None


def _with_a_season(factor: float, hours: float = 24, **segment: object) -> World:
    """small_world with a season in its first week (local dates) in every segment;
    ``hours``: the patience and the lead's half-life."""
    plain = small_world(patience_hours=hours, lead_half_life_hours=hours)
    for s in plain["segments"]:  # type: ignore[attr-defined]
        s.update(segment)
        s["seasons"] = [
            {"name": "ferie", "from": "2026-03-02", "to": "2026-03-08", "answer_factor": factor}
        ]
    return World.model_validate(plain)


def test_a_miss_in_a_season_of_few_answers_says_less_about_the_hour() -> None:
    world = _with_a_season(0.2)
    people = population(world, np.random.default_rng(world.seed))
    day, hour = 1, 19
    history = [
        *(SimAttempt(i, 0, 1, 0.0, False, "b", 1.0, day, hour) for i in range(6)),
        *(SimAttempt(i, 1, 1, 0.0, False, "b", 1.0, day, hour, season="ferie") for i in range(6)),
    ]
    beliefs = PosteriorBeliefs(world, people, lambda: history, 20_000)
    slot = slot_of(day, hour)
    prior = beliefs.prior_mean[0][slot]
    ordinary, in_season = beliefs.mean(0)[slot], beliefs.mean(1)[slot]
    # Six misses on ordinary days pull the hour down; in a season where the customer
    # answers a fifth as often, the same misses are mostly the season's doing.
    assert ordinary < in_season < prior
    assert in_season - ordinary > 0.05


def test_with_seasons_and_without_noise_the_bound_is_segment_oracle_call_for_call() -> None:
    # In the first week everyone answers a third as often: with four days' patience a
    # request late in it waits for the next week, and the bound weighs the hours by the
    # factor as segment_oracle does.
    world = _with_a_season(0.3, 96, customer_noise=0.0, personal_peak=None)
    bound = kpis(simulate(world, BoundPolicyFactory(64)))
    oracle = kpis(simulate(world, PolicyName.SEGMENT_ORACLE))
    assert _without_policy(bound) == _without_policy(oracle)


def test_first_attempts_are_worth_the_true_probability_in_the_hour_called() -> None:
    # Every customer answers 30 % of calls at every hour, and a third as often in the
    # first week's season: a first call is worth 0.3, or 0.1 in the season, whenever
    # it is placed, and the rule calls at once (no hour is likelier than now).
    world = _with_a_season(
        1 / 3, answer_prob=[[0.3] * 24] * 7, customer_noise=0.0, personal_peak=None
    )
    run = simulate(world, PolicyName.SEGMENT_ORACLE)
    first = [a for a in run.attempts if a.attempt_no == 1]
    in_season = sum(a.season == "ferie" for a in first)
    assert 0 < in_season < len(first)
    worth = first_attempts(run)
    expected = (0.1 * in_season + 0.3 * (len(first) - in_season)) / len(run.requests)
    assert worth["expected_first_attempt_contact"] == pytest.approx(expected)
    # Called within minutes of asking: the lead value is all but whole.
    assert worth["hours_to_first_attempt"] < 0.5
    assert 0.98 * expected < worth["rule_value"] < expected


def test_a_longer_patience_makes_the_bound_wait_for_likelier_hours() -> None:
    world = World.model_validate(small_world())
    own = first_attempts(simulate(world, BoundPolicyFactory(256)))
    patient = first_attempts(simulate(world, BoundPolicyFactory(256, patience_hours=96)))
    assert patient["hours_to_first_attempt"] > own["hours_to_first_attempt"]
    assert patient["expected_first_attempt_contact"] > own["expected_first_attempt_contact"]


def test_the_bounds_signal_likelihood_is_the_simulators() -> None:
    world = World.model_validate(
        small_world(
            segments=[
                {
                    **small_world()["segments"][0],  # type: ignore[index]
                    "signals": {"history_days": 28, "web_visits_per_week": 20, "fidelity": 0.6},
                }
            ]
        )
    )
    found = likelihood(world, 0, scale=1.0)
    assert found["events"] > 50_000
    # The events' hours against the bound's model: a chi-square near its degrees of
    # freedom (its standard deviation is about 18 here); a model off by one hour, or
    # with the waking hours wrong, is thousands off.
    assert abs(found["chi2"] - found["dof"]) < 80
