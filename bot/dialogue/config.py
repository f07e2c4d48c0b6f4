"""What a dialogue is configured with, and the states it moves through."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.dialogue.caller_notice import caller_notice
from bot.types import ParsedIntent
from scheduler.rules import CallingRules, rules_from_settings
from spillway.language_pack import load_pack
from spillway.phone import callable_phone
from spillway.phone_problem import NumberProblem, number_problem
from spillway.settings import Settings


class IntentParser(Protocol):
    async def parse(self, text: str) -> ParsedIntent: ...


@dataclass(frozen=True, slots=True)
class DialogueConfig:
    """What the dialogue needs from the settings."""

    shop_name: str = "Spillway Demo Shop"
    # The language pack the bot speaks (shop.language; spillway/languages/<code>).
    language: str = "en"
    # None: the pack's opening_hours_default, in the language the bot speaks.
    opening_hours: str | None = None
    return_window_days: int = 30
    timezone: str = "Europe/Copenhagen"
    # A callback's customer whose number does not settle their zone: this one, as intake
    # stores it (callbacks.default_timezone), so a window is read in the zone it is kept in.
    callback_timezone: str = "Europe/Copenhagen"
    country: str = "DK"
    # Where callbacks may dial (callbacks.allowed_countries; empty: ``country`` only).
    allowed_countries: tuple[str, ...] = ()
    max_reprompts: int = 2
    # Below this recogniser confidence an utterance is asked again, never acted on.
    min_asr_confidence: float = 0.0
    # A yes the classifier alone heard (no plain yes phrase) must be at least this sure
    # (calibrated NLU confidence) and leads only to a look-up (bot/dialogue/plain_yes.py).
    min_yes_confidence: float = 0.9
    # The calling rules, to tell a caller when the scheduler will call (None: not said).
    calling_rules: CallingRules | None = None
    # Templates validated by the settings (shop.return_label_url / shop.photo_upload_url).
    return_label_url: str = "https://shop.example/returns/{order}"
    photo_upload_url: str = "https://shop.example/cases/{case}/photos"
    # Art. 13: the greeting and the offer say the conversation is written down and kept
    # (gdpr.caller_notice), and where to read more (gdpr.privacy_url, validated).
    caller_notice: bool = True
    privacy_url: str | None = None
    # Whether a text message queued now is ever sent (sms.enabled with sms.gateway_url,
    # SmsSettings.reaches_callers). False: the bot offers and promises none; it reads a
    # tracking number out, offers a colleague for a return label, opens a case without
    # the photo link. True by default here, as the tests' demo shop; the settings decide.
    sms: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> DialogueConfig:
        return cls(
            shop_name=settings.shop.name,
            language=settings.shop.language,
            opening_hours=settings.shop.opening_hours,
            return_window_days=settings.shop.return_window_days,
            timezone=settings.shop.timezone,
            callback_timezone=settings.callbacks.default_timezone,
            country=settings.shop.country,
            allowed_countries=tuple(sorted(settings.callback_countries())),
            return_label_url=settings.shop.return_label_url,
            photo_upload_url=settings.shop.photo_upload_url,
            calling_rules=rules_from_settings(settings),
            min_asr_confidence=settings.speech.min_asr_confidence,
            min_yes_confidence=settings.nlu.min_yes_confidence,
            caller_notice=settings.gdpr.caller_notice,
            privacy_url=settings.gdpr.privacy_url,
            sms=settings.sms.reaches_callers(),
        )

    def notice(self) -> str:
        """The ``{notice}`` of the greeting and the offer, in the bot's language ("" when off)."""
        return caller_notice(
            load_pack(self.language), enabled=self.caller_notice, privacy_url=self.privacy_url
        )

    def callable(self, number: str) -> str | None:
        """``number`` in E.164 if a callback may dial it (the API's and CSV's check), else None."""
        allowed = self.allowed_countries or None
        return callable_phone(number, self.country, allowed_countries=allowed)[0]

    def callback_countries(self) -> tuple[str, ...]:
        """Where callbacks may dial, the shop's own country first (as a caller hears it)."""
        allowed = self.allowed_countries or (self.country,)
        return tuple(sorted(allowed, key=lambda code: (code != self.country, code)))

    def number_problem(self, number: str) -> NumberProblem:
        """Why :meth:`callable` refused ``number``, as a caller can act on it."""
        allowed = self.allowed_countries or None
        problem = number_problem(number, self.country, allowed_countries=allowed)
        return NumberProblem.NOT_A_NUMBER if problem is None else problem


class State(StrEnum):
    MAIN = "main"
    ASK_ORDER = "ask_order"
    CONFIRM_ORDER = "confirm_order"
    OFFER_ORDER = "offer_order"
    ASK_PRODUCT = "ask_product"
    RETURN_LABEL = "return_label"
    OFFER_HUMAN = "offer_human"
    ASK_PHONE = "ask_phone"
    # A phone number said aloud where it was to be typed: read back, waiting for a yes.
    CONFIRM_PHONE = "confirm_phone"
    CONFIRM_CALLBACK = "confirm_callback"
    # "A plain callback, without picking the time: is that right?"
    CONFIRM_PLAIN = "confirm_plain"
    # A proposed side effect (case, SMS, callback) waits for the caller's yes.
    CONFIRM_ACTION = "confirm_action"
    ANYTHING_ELSE = "anything_else"
    ENDED = "ended"
