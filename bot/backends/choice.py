"""Which back-ends serve the dialogue, decided in one place from the settings.

With ``shop.api_url`` set, orders and stock come from the shop's
Shopify-style Admin API (its token from ``shop.api_token``); cases, callback
requests and the SMS outbox always stay in Spillway's own store, because the
shop's API has no place for them and the scheduler and SMS sender read them
there. Without ``shop.api_url``, everything is the local store.
"""

from __future__ import annotations

import dataclasses
import time

from bot.backends import Backends
from bot.backends.local import Clock, local_backends
from bot.backends.shopify import ShopifyClient, ShopifyInventory, ShopifyOrders
from scheduler.rules import rules_from_settings
from scheduler.timing.choice import TimingConfig
from spillway.console_text import ConsoleText, load_console_text
from spillway.errors import ConfigError
from spillway.language_pack import DEFAULT_LANGUAGE
from spillway.settings import Settings
from spillway.storage import AsyncStore, Store


def shop_token(settings: Settings) -> str:
    """The Admin API token, or a ConfigError naming the key when the API URL is set without it."""
    token = settings.shop.api_token.get_secret_value() if settings.shop.api_token else ""
    if not token:
        raise ConfigError.worded("shop_token_missing", url=repr(settings.shop.api_url))
    return token


def uses_shop_api(settings: Settings) -> bool:
    return settings.shop.api_url is not None


def describe_backends(settings: Settings, text: ConsoleText | None = None) -> str:
    """One line in ``text``'s language (``cli.doctor.shop_*``): which back-end serves
    orders and stock, and that the rest stays in the local store. Without ``text``, in
    English: ``Backends.description`` is for the logs, which are English; the doctor
    passes the admin's words."""
    text = text or load_console_text(DEFAULT_LANGUAGE)
    if settings.shop.api_url is None:
        return text("cli.doctor.shop_local")
    return text("cli.doctor.shop_api", url=settings.shop.api_url)


def shopify_client(settings: Settings) -> ShopifyClient:
    """A client for the configured shop API; ConfigError when it is not (fully) configured."""
    if settings.shop.api_url is None:
        raise ConfigError("config error: shop.api_url is not set")
    return ShopifyClient(
        settings.shop.api_url, shop_token(settings), timeout_s=settings.shop.api_timeout_s
    )


def build_backends(
    settings: Settings, store: Store | AsyncStore, clock: Clock = time.time
) -> Backends:
    """The dialogue's back-ends for these settings (close with ``await backends.aclose()``)."""
    local = local_backends(
        store,
        clock,
        region=settings.shop.country,
        timing=TimingConfig.from_settings(settings),
        language=settings.shop.language,
        rules=rules_from_settings(settings),
        default_timezone=settings.callbacks.default_timezone,
        allowed_countries=settings.callback_countries(),
        hash_key=settings.gdpr.hash_key_bytes(),
    )
    if not uses_shop_api(settings):
        return local
    client = shopify_client(settings)
    return dataclasses.replace(
        local,
        orders=ShopifyOrders(client),
        inventory=ShopifyInventory(client),
        description=describe_backends(settings),
        resources=(client,),
    )
