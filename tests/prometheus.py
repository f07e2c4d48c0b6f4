"""Reading Prometheus' text format back, as a scrape would, for the metrics tests."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def parse_exposition(body: bytes | str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Sample name -> {sorted label pairs: value}; the parser refuses malformed text."""
    text = body.decode() if isinstance(body, bytes) else body
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples
