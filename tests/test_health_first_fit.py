"""The Health page before a node's first contact-model fit: a normal state, not a problem.

The page showed "no model yet" as a PROBLEM on every new install, while `spillway
scheduler status` says it as the node's timing ("the conventional rule until the first
contact model is fitted ..."). The page now says the same words (``model.first_fit``
in console.yaml) as an ok check; a model whose fit failed (the node counted fallbacks
to the conventional rule) or that is stale is still a problem."""

from __future__ import annotations

import time

import pytest

from spillway.console_text import load_console_text
from spillway.settings import Settings
from spillway.storage import SqliteStore
from web.health import HealthCheck, health_checks

PREDICTED = {"policy": "predicted", "model_refit_minutes": 30}


def _node(store: SqliteStore, **columns: object) -> None:
    now = time.time()
    store.insert(
        "scheduler_nodes",
        {"node": "n1", "started_at": now - 60, "heartbeat_at": now - 1, "dialled": 0, **columns},
    )


def _model_check(store: SqliteStore, language: str, **callbacks: object) -> HealthCheck | None:
    settings = Settings(storage={"sqlite_path": store.path}, callbacks=callbacks)
    text = load_console_text(language)
    checks = health_checks(store, settings, time.time(), stale_after_s=60.0, text=text)
    found = [c for c in checks if c.name == text("health.name.model", node="n1")]
    assert len(found) <= 1
    return found[0] if found else None


@pytest.mark.parametrize("language", ["en", "da"])
def test_before_the_first_fit_the_model_is_a_normal_state(
    store: SqliteStore, language: str
) -> None:
    _node(store)
    text = load_console_text(language)
    check = _model_check(store, language, **PREDICTED)
    assert check is not None and check.ok and check.fix == ""
    timing = text("model.first_fit", minutes="30")
    assert check.cause == text("health.cause.first_fit", timing=timing)
    assert text("health.cause.no_model") not in check.cause
    # The words `spillway scheduler status` says of the node.
    assert timing in text("cli.scheduler.node_first_fit", line="n1", timing=timing)


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_fit_that_failed_is_still_a_problem(store: SqliteStore, language: str) -> None:
    error = "policy predicted failed, using the conventional rule: refit failed: disk full"
    _node(store, policy_fallbacks=2, last_error=error, last_error_at=time.time())
    text = load_console_text(language)
    check = _model_check(store, language, **PREDICTED)
    assert check is not None and not check.ok
    assert check.cause.startswith(text("health.cause.no_model")) and "disk full" in check.cause
    assert check.fix == text("health.fix.model")


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_stale_model_is_still_a_problem(store: SqliteStore, language: str) -> None:
    _node(store, model_fitted_at=time.time() - 50 * 3600)
    check = _model_check(store, language, model_max_age_hours=24, **PREDICTED)
    assert check is not None and not check.ok
    assert check.cause.startswith(load_console_text(language).number(50.0, 1))


def test_a_shop_timed_by_the_conventional_rule_needs_no_model(store: SqliteStore) -> None:
    _node(store)
    assert _model_check(store, "en", policy="traditional") is None
