"""The NLU engine: Rasa when it answers in time, the in-process fallback otherwise.

``NluEngine.parse`` never raises for bad input and never waits longer than the
Rasa timeout: when Rasa is unreachable, errors or is slower than the timeout,
the fallback classifier answers and Rasa is left alone for a short back-off;
after it, the next call tries Rasa again, so the engine switches back by
itself once Rasa recovers.

Whatever engine answered, entities are normalised the same way: order numbers
become digits ("five five eight two one" -> "55821"), products their canonical
names. Where the rule-based extractor finds an entity its value is used, since
digit reading and the product lookup are exact; Rasa's entities fill the rest.
Answers below ``confidence_threshold`` are reported as ``out_of_scope`` with
their (low) confidence.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, replace

from bot.nlu.fallback import MAX_INPUT_CHARS, OUT_OF_SCOPE, FallbackNlu, clean_text
from bot.nlu.rasa_client import RasaClient
from bot.nlu.rasa_model import pack_hashes, served_language
from bot.nlu.spoken_numbers import words_to_digits
from bot.types import ParsedIntent
from spillway.errors import NluError

log = logging.getLogger(__name__)

# A number written with its country code ("+45 20 12 34 56", "(+45) 2012 3456")
# is a phone number, never an order number; cleaning drops the "+", so look first.
_INTERNATIONAL_RE = re.compile(r"\(?\+\s*\d{1,3}\)?(?:[\s.-]*\(?\d+\)?){2,}")


def _phone_entity(intent: ParsedIntent, raw: str) -> ParsedIntent:
    """Move a number written as an international phone number to the ``phone`` entity."""
    match = _INTERNATIONAL_RE.search(raw)
    if match is None:
        return intent
    digits = re.sub(r"\D", "", match.group())
    entities = {
        k: v for k, v in intent.entities.items() if not (k == "order_number" and v in digits)
    }
    entities["phone"] = "+" + digits
    return replace(intent, entities=entities)


@dataclass(frozen=True, slots=True)
class NluEngineConfig:
    """Tunables of the engine (``nlu.*`` settings)."""

    confidence_threshold: float = 0.4
    retry_after_s: float = 5.0
    max_input_chars: int = MAX_INPUT_CHARS


class NluEngine:
    """Prefers Rasa, falls back to ``FallbackNlu``; async ``parse(text) -> ParsedIntent``."""

    def __init__(
        self,
        fallback: FallbackNlu,
        rasa: RasaClient | None = None,
        config: NluEngineConfig | None = None,
        *,
        language: str | None = None,
    ) -> None:
        self.fallback = fallback
        self.rasa = rasa
        self.config = config or NluEngineConfig()
        self._rasa_down_until = 0.0
        self._using_fallback = False
        # The shop's language: Rasa's model is checked against it once (None: not checked).
        self._language = language
        self._model_checked = language is None

    @property
    def active_engine(self) -> str:
        """What the next ``parse`` will try first."""
        if self.rasa is None or time.monotonic() < self._rasa_down_until:
            return self.fallback.engine_name
        return self.rasa.engine_name

    async def parse(self, text: str) -> ParsedIntent:
        cleaned = clean_text(text, self.config.max_input_chars)
        if not cleaned:
            return ParsedIntent(OUT_OF_SCOPE, 0.0, {}, self.fallback.engine_name, "")
        intent = await self._parse_rasa(cleaned)
        if intent is None:
            # Classification is a few sparse dot products: cheap enough to run
            # on the loop, no thread hop needed.
            intent = self.fallback.parse(cleaned)
        return _phone_entity(self._finish(intent, cleaned), text)

    async def _check_model(self, rasa: RasaClient, language: str) -> None:
        """Once: a model trained from another language's pack is not used at all."""
        model_file = str((await rasa.status()).get("model_file", ""))
        self._model_checked = True
        served = served_language(model_file, pack_hashes())
        if served is not None and served != language:
            log.error(
                "Rasa at %s serves the %r pack's model (%s), but shop.language is %r: "
                "using the fallback NLU; run `spillway nlu serve --language %s`",
                rasa.base_url,
                served,
                model_file,
                language,
                language,
            )
            self.rasa = None
        elif served is None:
            log.warning(
                "Rasa at %s serves %s, not trained from the %r pack as it is now "
                "(older data, or trained elsewhere); `spillway nlu serve` trains it",
                rasa.base_url,
                model_file,
                language,
            )

    async def _parse_rasa(self, cleaned: str) -> ParsedIntent | None:
        if self.rasa is None or time.monotonic() < self._rasa_down_until:
            return None
        try:
            # The client's own timeout covers each phase; this caps the total.
            async with asyncio.timeout(self.rasa.timeout_ms / 1000):
                if not self._model_checked and self._language is not None:
                    await self._check_model(self.rasa, self._language)
                    if self.rasa is None:
                        return None
                intent = await self.rasa.parse(cleaned)
        except (NluError, TimeoutError) as exc:
            self._rasa_down_until = time.monotonic() + self.config.retry_after_s
            if not self._using_fallback:
                log.warning(
                    "Rasa unavailable, using the fallback NLU for %.1fs: %s",
                    self.config.retry_after_s,
                    exc,
                )
            self._using_fallback = True
            return None
        if self._using_fallback:
            log.info("Rasa answers again; switching back from the fallback NLU")
            self._using_fallback = False
        return intent

    def _finish(self, intent: ParsedIntent, cleaned: str) -> ParsedIntent:
        rules = self.fallback.rules
        entities: dict[str, str] = {}
        found = rules.extract(cleaned)
        for key, value in intent.entities.items():
            if key == "order_number":
                digits = value if value.isdigit() else words_to_digits(value, rules.grammar)
                # "a size eight" is not an order number, whatever DIET thinks.
                if digits and rules.min_order_digits <= len(digits) <= rules.max_order_digits:
                    entities[key] = digits
            elif key == "product":
                entities[key] = rules.canonical_product(value)
            else:
                entities[key] = value
        # The rules win where they find something: spoken-digit reading is
        # deterministic, while DIET tends to split "five five eight two one".
        entities.update(found)
        name = intent.name
        if intent.confidence < self.config.confidence_threshold:
            name = OUT_OF_SCOPE
        return replace(intent, name=name, entities=entities, text=cleaned)

    async def aclose(self) -> None:
        if self.rasa is not None:
            await self.rasa.aclose()
