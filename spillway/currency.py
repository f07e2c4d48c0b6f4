"""Which currency a shop's money is in: ``shop.currency`` (ISO 4217), else the one of
``shop.country``, worked out once when the settings are read.

The pilot's costs (``callbacks.pilot.roi``) and the amounts the console's Pilot page
shows are in it; Spillway converts nothing.
"""

from __future__ import annotations

from typing import Any

# The currency of a shop's country (ISO 3166 alpha-2 -> ISO 4217), for the countries a
# shop is most likely in; a country not listed takes FALLBACK, and shop.currency says
# otherwise for any shop.
BY_COUNTRY = {
    "DK": "DKK",
    "SE": "SEK",
    "NO": "NOK",
    "IS": "ISK",
    "GB": "GBP",
    "CH": "CHF",
    "PL": "PLN",
    "CZ": "CZK",
    "US": "USD",
    "CA": "CAD",
    "AU": "AUD",
    "FO": "DKK",
    "GL": "DKK",
    **{
        code: "EUR"
        for code in ("AT BE CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK".split())
    },
}
FALLBACK = "EUR"


def country_currency(country: str) -> str:
    """The currency of ``country`` (``DK``: ``DKK``), :data:`FALLBACK` when not listed."""
    return BY_COUNTRY.get(country.upper(), FALLBACK)


def with_currency(data: Any, default_country: str) -> Any:
    """A shop section's raw settings with ``currency`` filled in from its country when it
    is unset or null (a pydantic "before" step: the frozen section then holds it)."""
    if not isinstance(data, dict) or data.get("currency") is not None:
        return data
    country = data.get("country", default_country)
    if not isinstance(country, str):
        return data  # the country's own check names the key
    return {**data, "currency": country_currency(country)}
