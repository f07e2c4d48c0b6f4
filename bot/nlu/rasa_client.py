"""Async client for the Rasa HTTP API (``POST /model/parse``, ``GET /status``).

Rasa runs as its own service in its own Python; Spillway talks to it only over
loopback HTTP with a short timeout. Any failure (refused, timed out, HTTP
error, unreadable body) becomes an ``NluError`` so that the engine can fall
back. Rasa's ``nlu_fallback`` intent (its FallbackClassifier) is reported as
``out_of_scope``.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.types import ParsedIntent
from spillway.errors import NluError

DEFAULT_RASA_URL = "http://127.0.0.1:15005"
DEFAULT_TIMEOUT_MS = 800
RASA_FALLBACK_INTENT = "nlu_fallback"


def intent_from_parse(body: dict[str, Any], text: str) -> ParsedIntent:
    """Turn a ``/model/parse`` response into an ``ParsedIntent`` (pure)."""
    intent = body.get("intent") or {}
    name = str(intent.get("name") or "out_of_scope")
    confidence = float(intent.get("confidence") or 0.0)
    if name == RASA_FALLBACK_INTENT:
        # Report the low confidence of the best real intent, not the threshold.
        ranking = [r for r in body.get("intent_ranking") or [] if r.get("name") != name]
        name = "out_of_scope"
        confidence = float(ranking[0].get("confidence") or 0.0) if ranking else 0.0
    entities: dict[str, str] = {}
    for entity in body.get("entities") or []:
        key = str(entity.get("entity", ""))
        if key and key not in entities:
            entities[key] = str(entity.get("value", ""))
    return ParsedIntent(
        name=name, confidence=confidence, entities=entities, engine="rasa", text=text
    )


class RasaClient:
    """One pooled HTTP connection to a Rasa server; close with ``aclose``."""

    engine_name = "rasa"

    def __init__(
        self, base_url: str = DEFAULT_RASA_URL, timeout_ms: int = DEFAULT_TIMEOUT_MS
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_ms = timeout_ms
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_ms / 1000),
            # Loopback only: never pick up a proxy from the environment.
            trust_env=False,
        )

    async def parse(self, text: str) -> ParsedIntent:
        try:
            response = await self._http.post("/model/parse", json={"text": text})
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NluError(
                f"Rasa at {self.base_url} did not parse: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(body, dict):
            raise NluError(f"Rasa at {self.base_url} sent an unexpected body")
        return intent_from_parse(body, text)

    async def status(self) -> dict[str, Any]:
        """``GET /status``; raises ``NluError`` unless a model is loaded."""
        try:
            response = await self._http.get("/status")
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NluError(f"Rasa at {self.base_url} is not answering: {exc}") from exc
        if not isinstance(body, dict) or not body.get("model_file"):
            raise NluError(f"Rasa at {self.base_url} has no model loaded")
        return body

    async def aclose(self) -> None:
        await self._http.aclose()
