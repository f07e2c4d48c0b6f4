"""`spillway doctor`: is everything Spillway needs there and working?

Each check returns a :class:`Check` with what it found and, when something is
wrong, the command that fixes it. Checks never raise: a failure is a row. Every check
speaks the admin's language (``cli.doctor`` in console.yaml), and so does why a model
was chosen (``speech_choice``); what another module says in its own words (an
exception) is shown as it says it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from cli.admin_words import admin_words
from scheduler.dialer import settings_status_report
from spillway.ami import AmiClient, AmiEndpoint
from spillway.console_text import ConsoleText
from spillway.errors import SpillwayError
from spillway.privacy_notice import notice_warning
from spillway.retention_periods import periods_warning
from spillway.settings import Settings
from spillway.storage import open_store


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False  # passes, but the admin should act on it


def check_database(settings: Settings) -> Check:
    t = admin_words(settings)
    name = t("cli.doctor.database")
    try:
        store = open_store(settings.storage)
        try:
            store.check_writable()
            version = max((m["version"] for m in store.applied_migrations()), default=0)
        finally:
            store.close()
    except SpillwayError as exc:
        return Check(name, False, str(exc), t("cli.doctor.database_fix"))
    path = settings.storage.sqlite_path
    return Check(name, True, t("cli.doctor.database_ok", path=path, version=version))


async def check_pbx(settings: Settings) -> list[Check]:
    """AMI login, Asterisk version and the required modules."""
    t = admin_words(settings)
    if settings.pbx.mode == "sandbox":
        start_fix = "spillway pbx sandbox up"
    else:
        start_fix = t("cli.doctor.start_asterisk")
    secret = settings.pbx.ami_secret.get_secret_value() if settings.pbx.ami_secret else ""
    logged_in = t("cli.doctor.ami")
    if not secret:
        fix = settings.ami_secret_hint().said(t)
        return [Check(logged_in, False, t("cli.doctor.no_ami_secret"), fix)]
    endpoint = AmiEndpoint.from_settings(settings.pbx, secret)
    try:
        ami = await AmiClient.connect(endpoint)
    except SpillwayError as exc:
        return [Check(logged_in, False, str(exc), start_fix)]
    checks = [Check(logged_in, True, f"{endpoint.username}@{endpoint.host}:{endpoint.port}")]
    version_name = t("cli.doctor.asterisk_version")
    try:
        core = await ami.action({"Action": "CoreSettings"})
        version = str(core.get("AsteriskVersion", "?"))
        major = int(version.split(".")[0]) if version[:1].isdigit() else 0
        too_old = "" if major >= 18 else t("cli.doctor.asterisk_too_old")
        checks.append(Check(version_name, major >= 18, version, too_old))
    except SpillwayError as exc:
        checks.append(Check(version_name, False, str(exc), start_fix))
        return checks
    finally:
        await ami.close()
    from cli.ami_rights import check_modules

    return checks + await check_modules(settings)


def check_models(settings: Settings) -> list[Check]:
    """The configured speech models: installed as packages or fetched into the cache; and
    which voice each language pack speaks with (a warning for a weak one)."""
    from models.discover import require_model
    from models.recogniser import installed_recogniser, same_language

    t = admin_words(settings)
    models_dir = settings.paths.models_dir
    choice = installed_recogniser(settings.speech, models_dir, language=settings.shop.language)
    asr_model = choice.model
    checks = []
    heard = t("cli.doctor.asr_language")
    # The bot speaks (and its dialogue is written) in the shop's language pack.
    language = settings.shop.language
    if not same_language(choice.language, language):
        wrong = t(
            "cli.doctor.asr_language_wrong",
            model=choice.model,
            heard=choice.language,
            language=language,
        )
        checks.append(Check(heard, False, wrong, t("cli.doctor.asr_language_fix")))
    else:
        why = choice.why.said(t)
        checks.append(Check(heard, True, f"{choice.model} ({choice.language}): {why}"))
    model_name = t("cli.doctor.asr_model", model=asr_model)
    try:
        found = require_model(asr_model, models_dir)
        checks.append(Check(model_name, True, f"{found.path} ({found.source})"))
    except SpillwayError as exc:
        why = exc.message_said(t)
        checks.append(Check(model_name, False, why, f"spillway models fetch {asr_model}"))
    return checks + check_recognisers(settings) + check_voices(settings)


def spoken_languages(settings: Settings) -> list[str]:
    """The languages the bot speaks and hears here, whose models the doctor checks: the
    shop's (``shop.language``; no queue has a language of its own). The console's
    (``web.language``) is words on a screen, needing no model; a pack nobody configured
    is not checked, so an English shop is not told to fetch Danish models."""
    return [settings.shop.language]


def check_recognisers(settings: Settings) -> list[Check]:
    """Which recogniser each spoken language hears with; a warning where the pack says
    the one this machine gives it is weak (Danish on Whisper base), naming the stronger."""
    from models.recogniser import installed_recogniser
    from spillway.language_pack import load_pack

    t = admin_words(settings)
    models_dir = settings.paths.models_dir
    checks = []
    for code in spoken_languages(settings):
        pack = load_pack(code)
        choice = installed_recogniser(settings.speech, models_dir, language=code)
        name = t("cli.doctor.recogniser", language=code)
        name += " (shop.language)" if code == settings.shop.language else ""
        detail = f"{choice.engine} {choice.model}: {choice.why.said(t)}"
        if pack.recogniser_weak and choice.model == pack.recognisers[pack.recogniser_weak]:
            better = pack.recognisers.get("sherpa", "")
            fix = f"spillway models fetch {better}" if better else ""
            # Why, about the pack's language, in the admin's (an English admin may run
            # a Danish bot).
            note = t(f"cli.doctor.recogniser_weak_note.{code}")
            weak = t("cli.doctor.recogniser_weak", detail=detail, weak=note)
            checks.append(Check(name, True, weak, fix, warning=True))
        else:
            checks.append(Check(name, True, detail))
    return checks


def check_voices(settings: Settings) -> list[Check]:
    """Which voice each spoken language speaks with; espeak-ng (robotic) is a warning, no
    voice at all for the shop's language a failure."""
    from bot.speech.espeak_tts import espeak_path
    from models.discover import find_model
    from models.voice import installed_voice

    t = admin_words(settings)
    models_dir = settings.paths.models_dir
    checks = []
    for code in spoken_languages(settings):
        voice = installed_voice(code, settings.speech, models_dir)
        shop = code == settings.shop.language
        name = t("cli.doctor.voice", language=code) + (" (shop.language)" if shop else "")
        if voice.engine == "piper":
            found = find_model(voice.voice, models_dir)
            where = f"{found.path} ({found.source})" if found else ""
            checks.append(Check(name, True, f"Piper {voice.voice}: {where}"))
            continue
        fix = f"spillway models fetch {voice.piper}" if voice.piper else ""
        if espeak_path() is None:
            none = t("cli.doctor.no_voice", why=voice.why.said(t))
            install = t("cli.doctor.no_voice_fix", fix=fix) if fix else "apt-get install espeak-ng"
            checks.append(Check(name, not shop, none, install, warning=not shop))
            continue
        robotic = t("cli.doctor.espeak_voice", voice=voice.voice, why=voice.why.said(t))
        checks.append(Check(name, True, robotic, fix, warning=True))
    return checks


def check_sounds(settings: Settings) -> Check:
    """The prompts Asterisk plays (the menu, the callback promise, the announcement), in
    the folder it plays the shop's language from: a missing one fails (the dialplan plays
    its fallback), one rendered from older words or another voice warns (callers hear the
    old words after an upgrade). The manifest is compared; nothing is synthesised."""
    from cli.pbx_sounds import expected_sounds
    from dialplan.sounds import sound_dirs, sound_status

    t = admin_words(settings)
    folder = sound_dirs(settings).local
    name = t("cli.doctor.sounds", language=settings.shop.language)
    texts, voice = expected_sounds(settings)
    status = sound_status(folder, texts, voice)
    if status.current:
        return Check(name, True, t("cli.doctor.sounds_ok", folder=folder, n=len(texts)))
    # `pbx sandbox up` renders into the sandbox's folder (and only reloads a running one);
    # `dialplan install` renders into pbx.sounds_dir before it installs the dialplan.
    fix = (
        "spillway pbx sandbox up" if settings.pbx.mode == "sandbox" else "spillway dialplan install"
    )

    def few(keys: list[str]) -> str:
        named = ", ".join(keys[:3])
        more = len(keys) - 3
        return t("cli.doctor.sounds_more", keys=named, n=more) if more > 0 else named

    missing = t.count("cli.doctor.sounds_missing", len(status.missing), keys=few(status.missing))
    stale = t.count("cli.doctor.sounds_stale", len(status.stale), keys=few(status.stale))
    if not status.missing:
        return Check(
            name, True, t("cli.doctor.sounds_warn", folder=folder, found=stale), fix, warning=True
        )
    found = t("cli.doctor.sounds_and", first=missing, second=stale) if status.stale else missing
    return Check(name, False, t("cli.doctor.sounds_fail", folder=folder, found=found), fix)


async def served_nlu_model(settings: Settings) -> str:
    """The model file the Rasa server at ``nlu.rasa_url`` serves ("?" if it names none);
    httpx.HTTPError or ValueError when it does not answer."""
    url = settings.nlu.rasa_url.rstrip("/") + "/status"
    async with httpx.AsyncClient(timeout=2.0) as client:
        response = await client.get(url)
        response.raise_for_status()
        return str(response.json().get("model_file", "?"))


def fallback_in_use(settings: Settings) -> str | None:
    """The language whose fallback classifier understands calls Rasa does not (its pack's
    NLU data reads), or None when the pack has none to train from."""
    from bot.nlu.data import load_nlu_data, project_dir

    language = settings.shop.language
    try:
        load_nlu_data(project_dir(language))
    except (OSError, ValueError, SpillwayError):
        return None
    return language


def unreachable_words(t: ConsoleText, exc: BaseException) -> str:
    """Why a service did not answer, in the admin's words (a library's English, such as
    httpx's "All connection attempts failed", says nothing a Danish admin can act on)."""
    if isinstance(exc, (ConnectionRefusedError, httpx.ConnectError)):
        return t("cli.doctor.refused")
    if isinstance(exc, (TimeoutError, httpx.TimeoutException)):
        return t("cli.doctor.no_answer_in_time")
    return str(exc) or type(exc).__name__


async def check_nlu(settings: Settings) -> Check:
    """Rasa serving the shop's language; when it is not asked (``nlu.rasa_url`` empty) or
    does not answer, the fallback classifier serves: OK, and a warning with how to start
    Rasa. A failure only when nothing understands the callers (or the wrong language)."""
    # Imported here: the packs' hashes are read only when the NLU is checked.
    from bot.nlu.rasa_model import pack_hashes, wrong_language

    t = admin_words(settings)
    name = t("cli.doctor.nlu")
    fallback = fallback_in_use(settings)
    if not settings.nlu.uses_rasa:
        if fallback is None:
            return Check(
                name, False, t("cli.doctor.nlu_no_fallback", language=settings.shop.language)
            )
        return Check(name, True, t("cli.doctor.nlu_fallback_only", language=fallback))
    try:
        model = await served_nlu_model(settings)
    except (httpx.HTTPError, ValueError) as exc:
        down = f"{settings.nlu.rasa_url}: {unreachable_words(t, exc)}"
        if fallback is None:
            return Check(name, False, down, "spillway nlu serve")
        serves = t("cli.doctor.nlu_fallback_serves", down=down, language=fallback)
        return Check(name, True, serves, t("cli.doctor.nlu_start_rasa"), warning=True)
    other = wrong_language(model, settings.shop.language, pack_hashes())
    if other is not None:
        wrong = t(
            "cli.doctor.nlu_wrong_language",
            url=settings.nlu.rasa_url,
            other=repr(other),
            model=model,
            language=repr(settings.shop.language),
        )
        return Check(name, False, wrong, f"spillway nlu serve --language {settings.shop.language}")
    return Check(name, True, t("cli.doctor.nlu_ok", url=settings.nlu.rasa_url, model=model))


async def check_shop(settings: Settings) -> Check:
    """Which back-end serves orders and stock; for the shop API, whether it answers."""
    from bot.backends.choice import describe_backends, shopify_client

    t = admin_words(settings)
    name = t("cli.doctor.shop")
    if settings.shop.api_url is None:
        return Check(name, True, describe_backends(settings, t))
    try:
        client = shopify_client(settings)
    except SpillwayError as exc:
        return Check(name, False, exc.message_said(t), t("cli.doctor.shop_token_fix"))
    try:
        body = await client.get("/shop.json", {})
    except SpillwayError as exc:
        return Check(name, False, str(exc), t("cli.doctor.shop_fix"))
    finally:
        await client.aclose()
    shop = body.get("shop")
    shop = shop if isinstance(shop, dict) else {}
    answered = t("cli.doctor.shop_answers", name=repr(shop.get("name", "?")))
    return Check(name, True, f"{describe_backends(settings, t)}; {answered}")


def check_sms(settings: Settings) -> Check:
    """The SMS gateway setting and what waits in the outbox, as
    :func:`bot.backends.sms_state.sms_verdict` decides it (the Health page shows the same).

    No gateway: the bot offers callers no text message (DialogueConfig.sms), so none
    is promised in vain, but the shop loses them: a warning with the setting to set,
    unless SMS is off on purpose (``sms.enabled: false``). Messages queued with no
    gateway to send them (before this release, or by hand) are a problem either way.
    """
    from bot.backends.sms import outbox_counts
    from bot.backends.sms_state import SmsState, sms_verdict

    t = admin_words(settings)
    name = t("cli.doctor.sms")
    try:
        store = open_store(settings.storage)
        try:
            counts = outbox_counts(store)
        finally:
            store.close()
    except SpillwayError as exc:
        return Check(name, False, str(exc), t("cli.doctor.storage_fix"))
    waiting = counts["pending"] + counts["sending"]
    queue = t(
        "cli.doctor.sms_outbox", waiting=waiting, sent=counts["sent"], failed=counts["failed"]
    )
    verdict = sms_verdict(settings.sms, counts)
    if verdict.state is SmsState.SENDING:
        detail = f"{settings.sms.gateway_url}; {queue}"
    else:
        detail = t(f"cli.doctor.sms_{verdict.state}", queue=queue)
    fix = (
        t("cli.doctor.sms_fix")
        if verdict.needs_gateway
        else "spillway sms outbox --status failed"
        if verdict.failed
        else ""
    )
    return Check(name, verdict.ok, detail, fix, warning=verdict.warning)


def check_gdpr_key(settings: Settings) -> Check:
    """The keyed-hash secret an erasure needs: found missing now, not at the first request."""
    t = admin_words(settings)
    name = t("cli.doctor.gdpr_key")
    if settings.gdpr.hash_key_bytes() is not None:
        return Check(name, True, t("cli.doctor.gdpr_key_set"))
    return Check(
        name,
        True,
        t("cli.doctor.gdpr_key_unset"),
        "spillway gdpr key",
        warning=True,
    )


def check_retention(settings: Settings) -> Check:
    """The gdpr periods: a warning when phone numbers are kept longer than
    gdpr.phone_numbers_months says (:func:`~spillway.retention_periods.periods_warning`)."""
    t = admin_words(settings)
    name = t("cli.doctor.retention")
    gdpr = settings.gdpr
    warning = periods_warning(gdpr, t)
    if warning is None:
        phone_numbers = t.count("count.months", gdpr.phone_numbers_months)
        call_times = t.count("count.months", gdpr.call_times_months)
        ok = t("cli.doctor.retention_ok", phone_numbers=phone_numbers, call_times=call_times)
        return Check(name, True, ok)
    fix = t("cli.doctor.retention_fix", months=gdpr.phone_numbers_months)
    return Check(name, True, warning, fix, warning=True)


def check_caller_notice(settings: Settings) -> Check:
    """What callers are told about the transcript (Art. 13): a warning when they hear the
    notice but no page to read more on (:func:`~spillway.privacy_notice.notice_warning`)."""
    t = admin_words(settings)
    name = t("cli.doctor.notice")
    gdpr = settings.gdpr
    warning = notice_warning(gdpr, t)
    if warning is not None:
        return Check(name, True, warning, t("cli.doctor.notice_fix"), warning=True)
    if not gdpr.caller_notice:
        return Check(name, True, t("cli.doctor.notice_off"))
    return Check(name, True, t("cli.doctor.notice_page", url=gdpr.privacy_url))


def controller_address(settings: Settings) -> tuple[str, int]:
    """Where this host reaches its own FastAGI listener (a wildcard bind: loopback)."""
    c = settings.controller
    host = c.bind_host if c.bind_host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return host, c.fastagi_port


async def check_controller(settings: Settings) -> Check:
    """`spillway serve`: something listens on the FastAGI port the dialplan asks."""
    host, port = controller_address(settings)
    t = admin_words(settings)
    name = t("cli.doctor.controller")
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2.0)
    except (OSError, TimeoutError) as exc:
        down = t(
            "cli.doctor.controller_down", host=host, port=port, error=unreachable_words(t, exc)
        )
        return Check(name, False, down, "spillway serve")
    writer.close()
    return Check(name, True, t("cli.doctor.controller_up", host=host, port=port))


def check_scheduler(settings: Settings, now: float | None = None) -> Check:
    """`spillway scheduler run`: at least one dialer node with a fresh heartbeat."""
    t = admin_words(settings)
    name = t("cli.doctor.scheduler")
    try:
        store = open_store(settings.storage)
        try:
            report = settings_status_report(store, settings, now or time.time())
        finally:
            store.close()
    except SpillwayError as exc:
        return Check(name, False, str(exc), t("cli.doctor.storage_fix"))
    up = [n["node"] for n in report["nodes"] if n["up"]]
    if not up:
        seen = min((n["seen_s_ago"] for n in report["nodes"]), default=None)
        last = (
            t("cli.doctor.last_heartbeat", seen=seen)
            if seen is not None
            else t("cli.doctor.never_ran")
        )
        due = t.count("cli.doctor.due", report["due_now"])
        return Check(
            name,
            False,
            t("cli.doctor.scheduler_down", last=last, due=due),
            "spillway scheduler run",
        )
    return Check(name, True, t.count("cli.doctor.nodes_up", len(up), names=", ".join(up)))


async def check_call(settings: Settings) -> Check:
    """`doctor --call`: one real call Asterisk -> Spillway's FastAGI -> Asterisk.

    Into the running `spillway serve` when it listens; else into a FastAGI
    listener of our own for the length of the call.
    """
    from agi.fastagi import FastAgiServer
    from cli.selftest import SelftestRoute, place_selftest_call

    t = admin_words(settings)
    name = t("cli.doctor.test_call")
    secret = settings.pbx.ami_secret.get_secret_value() if settings.pbx.ami_secret else ""
    if not secret:
        return Check(name, False, t("cli.doctor.no_ami_secret"), settings.ami_secret_hint().said(t))
    served = (await check_controller(settings)).ok
    route: SelftestRoute | None = None
    server: FastAgiServer | None = None
    try:
        if not served:
            route, server = SelftestRoute(), FastAgiServer()
            route.install(server)
            await server.start(settings.controller.bind_host, settings.controller.fastagi_port)
        ami = await AmiClient.connect(AmiEndpoint.from_settings(settings.pbx, secret))
        try:
            result = await place_selftest_call(ami, route, timeout_s=15)
        finally:
            await ami.close()
    except SpillwayError as exc:
        return Check(name, False, str(exc), "spillway dialplan check; spillway doctor")
    finally:
        if server is not None:
            await server.close()
    ok = result.user_event.get("Status") == "SUCCESS" and result.reply.startswith("ok:hello:")
    detail = t(
        "cli.doctor.test_call_done",
        into=t("cli.doctor.into_serve" if served else "cli.doctor.into_own"),
        ms=f"{result.elapsed_ms:.0f}",
        status=result.user_event.get("Status", "?"),
        reply=repr(result.reply),
    )
    return Check(name, ok, detail, "" if ok else "spillway dialplan install; spillway serve")


async def run_checks(
    settings: Settings,
    *,
    extra: list[Callable[[], Awaitable[Check]]] | None = None,
    services: bool = True,
    call: bool = False,
) -> list[Check]:
    """Every check; ``services``: also whether serve and the scheduler run (the demo,
    which runs neither for long, leaves them out); ``call``: a real test call."""
    checks = [check_database(settings)]
    checks += await check_pbx(settings)
    from cli.ami_rights import check_ami_rights

    checks.append(await check_ami_rights(settings))
    checks += check_models(settings)
    checks.append(check_sounds(settings))
    checks.append(await check_nlu(settings))
    checks.append(await check_shop(settings))
    checks.append(check_sms(settings))
    if services:
        checks.append(check_gdpr_key(settings))
        checks.append(check_retention(settings))
        checks.append(check_caller_notice(settings))
        checks.append(await check_controller(settings))
        checks.append(check_scheduler(settings))
    if call:
        checks.append(await check_call(settings))
    for more in extra or []:
        checks.append(await more())
    return checks
