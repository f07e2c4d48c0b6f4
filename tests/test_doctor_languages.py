"""`spillway doctor` checks what is configured: the models of the language the bot
speaks (an English shop is not told to fetch Danish models), and the NLU as it serves
calls (Rasa down while the fallback classifier understands them: a warning naming the
fallback and how to start Rasa; ``nlu.rasa_url`` empty: the fallback alone, OK). In the
admin's language. No Rasa: the server's answer is replaced by a refused connection."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import cli.doctor
from bot.assembly import build_nlu
from cli.doctor import check_nlu, check_recognisers, check_voices
from spillway.settings import Settings
from tests.conftest import make_settings


def test_an_english_shop_is_not_told_about_danish_models(tmp_path: Path) -> None:
    # An empty models directory: the Danish voice and recogniser would be missing or weak.
    english = make_settings(paths={"cache_dir": str(tmp_path)}, web={"language": "da"})
    checks = check_recognisers(english) + check_voices(english)
    said = " ".join(f"{c.name} {c.detail} {c.fix}" for c in checks)
    assert [c.name for c in checks] == [
        "talegenkender en (shop.language)",
        "stemme en (shop.language)",
    ]
    assert "da_DK" not in said and "sherpa" not in said, said
    danish = make_settings(paths={"cache_dir": str(tmp_path)}, shop={"language": "da"})
    names = [c.name for c in check_recognisers(danish) + check_voices(danish)]
    assert names == ["talegenkender da (shop.language)", "stemme da (shop.language)"]


def _refused(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refused(settings: Settings) -> str:
        raise httpx.ConnectError("All connection attempts failed")

    monkeypatch.setattr(cli.doctor, "served_nlu_model", refused)


@pytest.mark.parametrize(
    ("language", "serves", "start"),
    [
        ("en", "calls are understood by the en fallback classifier", "spillway nlu serve (or "),
        ("da", "opkaldene forstås af reserveklassifikatoren til en", "spillway nlu serve (eller "),
    ],
)
async def test_rasa_down_with_the_fallback_serving_is_a_warning(
    monkeypatch: pytest.MonkeyPatch, language: str, serves: str, start: str
) -> None:
    _refused(monkeypatch)
    check = await check_nlu(make_settings(web={"language": language}))
    assert check.ok and check.warning, check
    refused = {"en": "nothing answers there", "da": "intet svarer der"}[language]
    assert check.detail.startswith(f"http://127.0.0.1:15005: {refused}"), check.detail
    assert "All connection attempts failed" not in check.detail
    assert check.detail.endswith(serves), check.detail
    assert check.fix.startswith(start) and 'nlu.rasa_url: ""' in check.fix


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "the en fallback classifier (Rasa not used: nlu.rasa_url is empty)"),
        ("da", "reserveklassifikatoren til en (Rasa bruges ikke: nlu.rasa_url er tom)"),
    ],
)
@pytest.mark.parametrize("url", ["", None])
async def test_an_empty_rasa_url_is_the_fallback_alone_and_ok(
    monkeypatch: pytest.MonkeyPatch, language: str, said: str, url: str | None
) -> None:
    _refused(monkeypatch)  # asked anyway, it would warn
    settings = make_settings(nlu={"rasa_url": url}, web={"language": language})
    assert not settings.nlu.uses_rasa
    check = await check_nlu(settings)
    assert (check.ok, check.warning, check.detail, check.fix) == (True, False, said, "")


async def test_with_no_fallback_to_serve_rasa_down_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    _refused(monkeypatch)
    monkeypatch.setattr(cli.doctor, "fallback_in_use", lambda settings: None)
    check = await check_nlu(make_settings())
    assert not check.ok and check.fix == "spillway nlu serve"
    alone = await check_nlu(make_settings(nlu={"rasa_url": ""}))
    assert not alone.ok and "no NLU data" in alone.detail


def test_an_empty_rasa_url_builds_no_rasa_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.assembly

    trained = object()  # the fallback itself is not what is tested: not trained here
    monkeypatch.setattr(bot.assembly, "load_or_train", lambda *args, **kwargs: trained)
    settings = make_settings(paths={"cache_dir": str(tmp_path)}, nlu={"rasa_url": ""})
    assert build_nlu(settings).rasa is None
    assert build_nlu(make_settings(paths={"cache_dir": str(tmp_path)})).rasa is not None
