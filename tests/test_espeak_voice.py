"""The espeak-ng voice (the one that always works) and which voice each language gets."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest

from bot.speech.espeak_tts import EspeakTts, espeak_path, wav_pcm
from cli.pbx_sounds import sound_texts
from dialplan.sounds import sound_dirs
from models.voice import choose_voice
from spillway.audio import AudioFormat
from spillway.errors import ModelError
from tests.conftest import make_settings

pytestmark = pytest.mark.skipif(espeak_path() is None, reason="espeak-ng is not installed")

SENTENCE = "Ordre 1 0 0 4 2 med trådløse høretelefoner er sendt med GLS."


@pytest.mark.parametrize("rate_hz", [8000, 16000])
async def test_danish_speech_at_the_calls_rate(rate_hz: int) -> None:
    tts = EspeakTts("da", output_format=AudioFormat(rate_hz))
    try:
        pcm = await tts.synthesize(SENTENCE)
    finally:
        tts.close()
    seconds = len(pcm) / 2 / rate_hz
    assert 2.0 < seconds < 8.0, seconds  # a sentence, at the call's rate (not 22.05 kHz)
    assert max(abs(int.from_bytes(pcm[i : i + 2], "little", signed=True))
               for i in range(0, len(pcm), 200)) > 1000  # fmt: skip


async def test_synthesis_never_blocks_the_event_loop() -> None:
    tts = EspeakTts("da")
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    try:
        started = time.perf_counter()
        chunks = [c async for c in tts.stream(" ".join([SENTENCE] * 12))]
        took = time.perf_counter() - started
    finally:
        task.cancel()
        tts.close()
    assert len(chunks) >= 12
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    # The loop kept running while espeak-ng worked (a blocked loop shows one long gap).
    assert len(ticks) > took / 0.05 and max(gaps) < max(0.5, took / 2), (took, max(gaps))


def test_wav_parsing_refuses_what_is_not_a_wav() -> None:
    with pytest.raises(ModelError, match="no WAV"):
        wav_pcm(b"not a wav at all")


def test_danish_gets_espeak_until_the_piper_voice_is_installed() -> None:
    speech = make_settings().speech
    weak = choose_voice("da", speech, lambda name: False)
    assert (weak.engine, weak.voice, weak.weak) == ("espeak", "da", True)
    assert "da_DK-talesyntese-medium is not installed" in str(weak.why)
    good = choose_voice("da", speech, lambda name: name == "da_DK-talesyntese-medium")
    assert (good.engine, good.voice, good.weak) == ("piper", "da_DK-talesyntese-medium", False)
    english = choose_voice("en", speech, lambda name: True)
    assert (english.engine, english.voice) == ("piper", speech.piper_voice)
    # The configured voice of the shop's language is required, not swapped for espeak:
    # serve answers with the DTMF menu and names the missing model (test_voice_call.py).
    missing = choose_voice("en", speech, lambda name: False)
    assert (missing.engine, missing.voice) == ("piper", speech.piper_voice)


def test_sounds_asterisk_plays_follow_the_language() -> None:
    danish = make_settings(shop={"language": "da"})
    texts = sound_texts(danish)
    assert texts["menu_offer"].startswith("Beklager, alle vores medarbejdere er optaget")
    assert texts["agent_whisper_order"] == "Et tilbagekald om en ordre."
    assert sound_dirs(danish).pbx.endswith("/sounds/spillway/da")
    assert sound_texts(make_settings())["menu_offer"].startswith("Sorry, all our colleagues")


def test_doctor_names_each_languages_voice_and_warns_for_espeak(tmp_path: Path) -> None:
    from cli.doctor import check_voices

    # A Danish shop whose admin reads the CLI in English (web.language).
    settings = make_settings(
        paths={"cache_dir": str(tmp_path)}, shop={"language": "da"}, web={"language": "en"}
    )
    checks = {c.name: c for c in check_voices(settings)}
    danish = checks["voice da (shop.language)"]
    assert danish.ok and danish.warning and "espeak-ng da, a weak (robotic) voice" in danish.detail
    assert danish.fix == "spillway models fetch da_DK-talesyntese-medium"
    assert list(checks) == ["voice da (shop.language)"]  # English is spoken by nobody here
    [english] = check_voices(make_settings(paths={"cache_dir": str(tmp_path)}))
    assert english.detail.startswith("Piper en_US-joe-medium") and not english.warning


async def test_danish_menu_and_callback_sounds_rendered_and_played(tmp_path: Path) -> None:
    """A Danish shop: the dialplan plays .../spillway/da, rendered in Danish by its voice."""
    import wave

    from cli.pbx_sounds import render_sounds, sound_texts
    from dialplan.render import render_spillway
    from dialplan.sounds import read_manifest

    settings = make_settings(
        paths={"cache_dir": str(tmp_path / "cache")},
        shop={"language": "da"},
        callbacks={"agent_whisper": True},
    )
    [dialplan] = [
        f.text
        for f in render_spillway(settings, ami_secret=None)
        if f.name == "extensions_spillway.conf"
    ]
    folder = sound_dirs(settings).pbx
    assert folder.endswith("/spillway/da") and f"{folder}/menu_no_input" in dialplan
    result = await render_sounds(settings, tmp_path / "da")
    # Every prompt, and the callback promise's hour and weekday files.
    names = set(sound_texts(settings))
    assert result.missing is None and {p.stem for p in result.written} == names
    with wave.open(str(tmp_path / "da" / "callback_intro_order.wav")) as w:
        assert w.getframerate() == 8000 and w.getnframes() > 8000 * 3
    assert set(read_manifest(tmp_path / "da")) == names


def test_the_test_caller_speaks_the_shops_language() -> None:
    """`spillway call --language da`: the spoken test caller speaks Danish (espeak-ng)."""
    from cli.commands.call import caller_voice
    from cli.language import Language, with_language

    danish = with_language(make_settings(), Language.da)
    assert danish.shop.language == "da"
    voice = caller_voice(danish)
    try:
        assert voice.voice_id == "espeak-ng:da" and voice.output_format.sample_rate_hz == 8000
    finally:
        voice.close()


@pytest.mark.speech
async def test_a_danish_shops_bot_renders_its_danish_openers_with_espeak(tmp_path: Path) -> None:
    """`spillway serve` for a Danish shop: the overflow offer and the greeting in Danish, in
    the Danish voice (espeak-ng here), cached before the first call."""
    pytest.importorskip("faster_whisper")
    from bot.voice_bot import SpeechBot
    from cli.commands.serve import call_bot
    from spillway.settings import Settings
    from spillway.storage import AsyncStore, SqliteStore

    settings = Settings(
        speech={"asr_engine": "whisper"},
        shop={"language": "da"},
        paths={"cache_dir": str(tmp_path)},
        storage={"sqlite_path": str(tmp_path / "s.db")},
    )
    store = SqliteStore(tmp_path / "s.db")
    store.migrate()
    astore = AsyncStore(store)
    try:
        async with call_bot(settings, astore) as (bot, _description):
            assert isinstance(bot, SpeechBot) and bot.models.tts.voice_id == "espeak-ng:da"
            texts = await bot.fixed_prompts()
            assert texts[0].startswith("Hej, du har ringet til Spillway Demo Shop.")
            assert texts[1].startswith("Beklager, alle vores medarbejdere er optaget")
            audio = await bot.models.prompts.get(texts[1])
            assert len(audio) > 2 * 8000 * 5  # several seconds of Danish at 8 kHz
    finally:
        astore.close()
        store.close()


@pytest.mark.parametrize(
    ("language", "said", "not_said"),
    [
        (
            "da",
            "advarsel: lydfilerne indtales med en svag stemme (da_DK-talesyntese-medium er "
            "ikke installeret, så espeak-ng (da) bruges). Kør `spillway models fetch "
            "da_DK-talesyntese-medium` og derefter denne kommando igen",
            "weak voice",
        ),
        (
            "en",
            "warning: the prompts are spoken by a weak voice (da_DK-talesyntese-medium is not "
            "installed, so espeak-ng (da)). Run `spillway models fetch da_DK-talesyntese-medium`",
            "svag",
        ),
    ],
)
def test_dialplan_render_says_the_prompts_are_espeak_and_the_command_that_fixes_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    language: str,
    said: str,
    not_said: str,
) -> None:
    """A Danish shop whose voice is not in this command's models folder (not fetched, or
    fetched by the services' user into theirs): the warning is the admin's language's,
    once, naming the fetch; the bot's English log line about it is not shown too."""
    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.setenv("SPILLWAY_CACHE", str(tmp_path / "cache"))  # no models in it
    config = tmp_path / "spillway.yaml"
    config.write_text(f"shop:\n  language: da\nweb:\n  language: {language}\n")
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["--config", str(config), "dialplan", "render", "-o", str(out)])
    assert done.exit_code == 0, done.output
    stderr = " ".join(done.stderr.split())
    assert said in stderr and not_said not in stderr
    assert not [r for r in caplog.records if "a weak voice" in r.getMessage()]
    assert (out / "sounds" / "spillway" / "da" / "menu_no_input.wav").is_file()


def test_on_a_real_pbx_the_fix_fetches_into_the_services_folders(tmp_path: Path) -> None:
    """`pbx.mode: host`: root's `dialplan install` and the services' user must share the
    models folder, so the warning says how (docs/OPERATIONS.md, step 3)."""
    from cli.pbx_sounds import SoundsResult, weak_voice
    from spillway.console_text import load_console_text

    choice = choose_voice("da", make_settings().speech, lambda name: False)
    result = SoundsResult(tmp_path, weak=choice)
    host = weak_voice(result, load_console_text("da"), host=True) or ""
    assert "`sudo -u spillway -E spillway models fetch da_DK-talesyntese-medium`" in host
    assert "paths.cache_dir fra /etc/spillway/spillway.yaml" in host and "trin 3" in host
    assert "SPILLWAY_CACHE" not in host  # the configuration alone decides the folder
    assert weak_voice(SoundsResult(tmp_path), load_console_text("da"), host=True) is None
