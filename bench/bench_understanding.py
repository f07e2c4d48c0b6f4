"""Does the bot act only on what it understood? Intent accuracy, calibration and the
unwanted side-effect rate on a held-out set with noise (issue 19, item 5).

Run: ~/.cache/spillway/venv/bin/python bench/bench_understanding.py [--rasa] [--png FILE]

Over ``spillway/languages/en/heldout_calls.yml`` (caller turns as a recogniser writes them,
with mumbling and background talk; never trained on) it reports, per engine:

- intent accuracy of the raw top intent, and after the engine's confidence
  floor (``nlu.min_confidence``: below it, "not understood");
- a reliability table: the held-out lines binned by confidence, each bin's
  mean confidence against its share of right answers, and the expected
  calibration error (ECE, the bins' gaps weighted by their size);
- the unwanted side-effect rate: every held-out line opens a call of its own
  through the real dialogue (demo shop, a throw-away SQLite database, the
  demo customer's caller id, so a case, SMS or callback needs no typing), and
  a simulated caller answers the bot (:func:`caller_answer`). A caller whose
  line is noise keeps mumbling (the next noise lines); any other caller says
  yes only to what they came for. A case, an SMS or a callback the caller did
  not come for is unwanted. Goal: 0.

``--rasa`` trains Rasa on the shipped data (cached by content hash, in its own
venv: ``spillway nlu install``) and measures it the same way. ``--asr`` prints
the recogniser's own confidence (Whisper tiny.en) for every spoken line of
``tests/scripts`` said by Piper at 8 kHz, clean and at 1/8 volume in noise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.backends.demo_data import DEMO_CALLER, seed_demo  # noqa: E402
from bot.backends.local import local_backends  # noqa: E402
from bot.dialogue.inputs import CallerInput, Dtmf, TextTurn  # noqa: E402
from bot.dialogue.machine import Dialogue, DialogueConfig  # noqa: E402
from bot.nlu.data import NluData, load_heldout, load_nlu_data  # noqa: E402
from bot.nlu.engine import NluEngine, NluEngineConfig  # noqa: E402
from bot.nlu.fallback import FallbackNlu, clean_text  # noqa: E402
from bot.nlu.intents import Intent  # noqa: E402
from bot.types import ParsedIntent  # noqa: E402
from spillway.settings import Settings  # noqa: E402
from spillway.storage import AsyncStore, SqliteStore  # noqa: E402

HELDOUT_CALLS = ROOT / "spillway" / "languages" / "en" / "heldout_calls.yml"
NOW = 1_750_000_000.0
MAX_TURNS = 8
BINS = 5

# The bot's yes/no questions, and the callers who want what each leads to.
_ORDER_TOPICS = {Intent.ORDER_STATUS, Intent.RETURN_ITEM, Intent.COMPLAINT}
WANTS: dict[str, frozenset[str]] = {
    "confirm_complaint": frozenset({Intent.COMPLAINT}),
    "confirm_callback": frozenset({Intent.CALLBACK_REQUEST}),
    "order_status": frozenset({Intent.ORDER_STATUS}),  # the tracking number by SMS?
    "return_eligible": frozenset({Intent.RETURN_ITEM}),  # a return label by SMS?
    "offer_order": frozenset(_ORDER_TOPICS),
    "confirm_order_number": frozenset(_ORDER_TOPICS),
    "return_ineligible": frozenset({Intent.RETURN_ITEM, Intent.COMPLAINT}),
    "declined_again": frozenset(Intent) - {Intent.OUT_OF_SCOPE},  # a colleague?
    # "No number? A colleague can find it": only callers who came for something else say
    # no to the number (order callers type it), and they decline and say what they want.
    "no_order_number": frozenset(),
}
# The side effects each kind of caller came for (SMS by their idempotency key's kind).
ALLOWED: dict[str, frozenset[str]] = {
    Intent.COMPLAINT: frozenset({"case", "sms:case"}),
    Intent.CALLBACK_REQUEST: frozenset({"callback"}),
    Intent.RETURN_ITEM: frozenset({"sms:return"}),
    Intent.ORDER_STATUS: frozenset({"sms:tracking"}),
}
_ORDER_FOR: dict[str, str] = {Intent.ORDER_STATUS: "10042#", Intent.RETURN_ITEM: "10046#"}


@dataclass(frozen=True, slots=True)
class Phrasings:
    """What simulated callers say: the held-out set's noise, yes and no lines."""

    noise: list[str]
    yes: list[str]
    no: list[str]

    @classmethod
    def of(cls, data: NluData) -> Phrasings:
        def lines(intent: str) -> list[str]:
            return [e.text for e in data.examples if e.intent == intent]

        return cls(lines(Intent.OUT_OF_SCOPE), lines(Intent.AFFIRM), lines(Intent.DENY))


def caller_answer(
    intent: str, line: str, action: str, say: Phrasings, turn: int, asked: str = ""
) -> CallerInput:
    """What a simulated caller who came for ``intent`` (saying ``line``) answers ``action``
    (``asked``: the last yes/no question, for "was that a yes?")."""
    if intent == Intent.OUT_OF_SCOPE:
        return TextTurn(say.noise[turn % len(say.noise)])  # mumbling, whatever was asked
    if action == "yes_unsure":  # "please say yes or no, or press 1 for yes and 2 for no"
        return Dtmf("1" if intent in WANTS.get(asked, ()) else "2")
    if action in WANTS:
        # Said the way held-out callers say yes and no ("sure that's fine", "nope not right").
        answers = say.yes if intent in WANTS[action] else say.no
        return TextTurn(answers[turn % len(answers)])
    if action in ("ask_order_number", "order_not_found"):
        return Dtmf(_ORDER_FOR.get(intent, "10046#")) if intent in _ORDER_TOPICS else TextTurn("no")
    if action in ("ask_phone", "ask_phone_for_sms"):
        wanted = intent in (Intent.CALLBACK_REQUEST, Intent.ORDER_STATUS)
        return Dtmf("20123456#") if wanted else TextTurn("no")
    if action == "callback_confirm":
        return TextTurn("any time")
    if action in ("ask_product", "product_not_found"):
        return TextTurn("the grey sofa")
    if action in ("anything_else", "opening_hours", "stock", "tracking_read") or action.endswith(
        "_sent"
    ):
        return TextTurn("no thanks bye")
    return TextTurn(line)  # asked again: says it again


@dataclass(frozen=True, slots=True)
class CallOutcome:
    line: str
    intent: str
    actions: tuple[str, ...]
    effects: tuple[str, ...]
    unwanted: tuple[str, ...]


def side_effects(d: Dialogue) -> list[str]:
    effects = ["case"] if d.case_id else []
    effects += ["callback"] if d.callback_id is not None else []
    for sms in d.sms:
        kind = sms.idempotency_key.split(":")[-2] if ":" in sms.idempotency_key else "?"
        effects.append(f"sms:{kind}")
    return effects


async def simulate(make: Callable[[str], Awaitable[Dialogue]], data: NluData) -> list[CallOutcome]:
    phrasings = Phrasings.of(data)
    outcomes = []
    for n, example in enumerate(data.examples):
        d = await make(f"sim-{n}")
        await d.start()
        actions = []
        asked = ""
        event: CallerInput = TextTurn(example.text)
        for turn in range(MAX_TURNS):
            reply = await d.handle(event)
            actions.append(reply.action)
            if d.ended:
                break
            asked = reply.action if reply.action in WANTS else asked
            event = caller_answer(
                example.intent, example.text, reply.action, phrasings, n + turn + 1, asked
            )
        if not d.ended:
            d.hang_up()
        effects = side_effects(d)
        allowed = ALLOWED.get(example.intent, frozenset())
        unwanted = tuple(e for e in effects if e not in allowed)
        outcomes.append(
            CallOutcome(example.text, example.intent, tuple(actions), tuple(effects), unwanted)
        )
    return outcomes


@dataclass(frozen=True, slots=True)
class Bin:
    low: float
    high: float
    count: int
    mean_confidence: float
    accuracy: float


def reliability(gold: list[str], parsed: list[ParsedIntent]) -> tuple[list[Bin], float]:
    """Confidence bins of the raw top intent, and the expected calibration error."""
    bins: list[Bin] = []
    ece = 0.0
    for i in range(BINS):
        low, high = i / BINS, (i + 1) / BINS
        inside = [
            (g, p)
            for g, p in zip(gold, parsed, strict=True)
            if low <= p.confidence < high or (i == BINS - 1 and p.confidence == 1.0)
        ]
        if not inside:
            bins.append(Bin(low, high, 0, 0.0, 0.0))
            continue
        conf = sum(p.confidence for _, p in inside) / len(inside)
        acc = sum(g == p.name for g, p in inside) / len(inside)
        ece += len(inside) / len(gold) * abs(acc - conf)
        bins.append(Bin(low, high, len(inside), conf, acc))
    return bins, ece


@dataclass(frozen=True, slots=True)
class EngineFigures:
    engine: str
    lines: int
    noise_lines: int
    accuracy_raw: float
    accuracy_floor: float
    ece: float
    bins: list[Bin]
    calls: int
    calls_with_unwanted: int
    noise_calls_with_unwanted: int
    # The cost of caution: callers who came for a case, callback, label or tracking
    # SMS and got it, and the times a caller's yes was asked again.
    wanted_calls: int
    wanted_done: int
    yes_asked_again: int
    unwanted: list[str]


async def measure(
    engine_name: str,
    raw_parse: Callable[[str], Awaitable[ParsedIntent]],
    engine: NluEngine,
    min_yes: float,
) -> EngineFigures:
    data = load_heldout(HELDOUT_CALLS)
    gold = [e.intent for e in data.examples]
    raw = [await raw_parse(clean_text(e.text)) for e in data.examples]
    floored = [await engine.parse(e.text) for e in data.examples]
    bins, ece = reliability(gold, raw)
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "sim.db")
        store.migrate()
        seed_demo(store, NOW)
        db = AsyncStore(store)
        backends = local_backends(db, clock=lambda: NOW)
        config = DialogueConfig(min_yes_confidence=min_yes)

        async def make(call_id: str) -> Dialogue:
            return Dialogue(
                engine, backends, config, caller_id=DEMO_CALLER, call_id=call_id, clock=lambda: NOW
            )

        try:
            outcomes = await simulate(make, data)
        finally:
            db.close()
            store.close()
    bad = [o for o in outcomes if o.unwanted]
    return EngineFigures(
        engine=engine_name,
        lines=len(gold),
        noise_lines=gold.count(Intent.OUT_OF_SCOPE),
        accuracy_raw=sum(g == p.name for g, p in zip(gold, raw, strict=True)) / len(gold),
        accuracy_floor=sum(g == p.name for g, p in zip(gold, floored, strict=True)) / len(gold),
        ece=ece,
        bins=bins,
        calls=len(outcomes),
        calls_with_unwanted=len(bad),
        noise_calls_with_unwanted=sum(o.intent == Intent.OUT_OF_SCOPE for o in bad),
        wanted_calls=sum(o.intent in ALLOWED for o in outcomes),
        wanted_done=sum(o.intent in ALLOWED and bool(set(o.effects)) for o in outcomes),
        yes_asked_again=sum(o.actions.count("yes_unsure") for o in outcomes),
        unwanted=[f"{o.intent}: {o.line!r} -> {','.join(o.unwanted)} via {o.actions}" for o in bad],
    )


async def measure_fallback(threshold: float, min_yes: float) -> EngineFigures:
    fallback = FallbackNlu.train(load_nlu_data())

    async def raw(text: str) -> ParsedIntent:
        return fallback.parse(text)

    engine = NluEngine(fallback, None, NluEngineConfig(confidence_threshold=threshold))
    return await measure("fallback", raw, engine, min_yes)


async def measure_rasa(threshold: float, min_yes: float) -> EngineFigures:
    from bot.nlu.data import PROJECT_DIR
    from bot.nlu.evaluation import free_loopback_port
    from bot.nlu.rasa_client import RasaClient
    from bot.nlu.rasa_service import RasaInstall, RasaServer, train_model

    install = RasaInstall()
    model, _ = await asyncio.to_thread(
        train_model, install, PROJECT_DIR, install.cache_dir / "rasa-bench-understanding"
    )
    server = RasaServer(install, model, port=free_loopback_port())
    server.start()
    try:
        # The machine is shared: under a load of 15-20 Rasa took over the default 120 s.
        await server.wait_ready(timeout_s=600.0)
        client = RasaClient(server.url, timeout_ms=10_000)
        engine = NluEngine(
            FallbackNlu.train(load_nlu_data()),
            client,
            NluEngineConfig(confidence_threshold=threshold, retry_after_s=0.0),
        )
        try:
            return await measure("rasa", client.parse, engine, min_yes)
        finally:
            await client.aclose()
    finally:
        await asyncio.to_thread(server.stop)


async def measure_asr() -> None:
    import numpy as np

    from bot.speech.asr import chunks_from_pcm, transcribe
    from bot.speech.piper_tts import PiperTts, VoiceFiles
    from bot.speech.whisper_asr import WhisperEngine, load_whisper_model
    from models.discover import require_model
    from spillway.audio import SLIN8

    voice = require_model("en_US-joe-medium")
    tts = PiperTts.load(
        VoiceFiles.from_model(voice.path / "en_US-joe-medium.onnx"), threads=1, output_format=SLIN8
    )
    model = load_whisper_model(require_model("whisper-tiny.en").path, cpu_threads=1)
    asr = WhisperEngine(model, max_workers=1, language="en")
    scripts = sorted((ROOT / "tests" / "scripts").glob("*.txt"))
    lines = sorted(
        {
            line.strip()
            for path in scripts
            for line in path.read_text().splitlines()
            if line.strip() and not line.startswith(("#", "<"))
        }
    )
    rng = np.random.default_rng(0)
    rows = []
    try:
        for text in lines:
            pcm = await tts.synthesize(text)
            speech = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
            noisy = (speech / 8 + rng.normal(0, 600, len(speech))).clip(-32768, 32767)
            for how, audio in (("clean", pcm), ("noisy", noisy.astype(np.int16).tobytes())):
                stream = asr.open_stream(SLIN8)
                heard = [
                    t
                    async for t in transcribe(stream, chunks_from_pcm(audio, SLIN8, start_ms=0))
                    if t.is_final
                ]
                await stream.aclose()
                if not heard:
                    rows.append((how, -1.0, text, "(nothing)"))
                for t in heard:
                    conf = t.confidence if t.confidence is not None else -1.0
                    rows.append((how, conf, text, t.text))
    finally:
        asr.close()
    for how, conf, text, got in sorted(rows):
        print(f"{how} {conf:6.3f} {text!r} -> {got!r}")


def table(figures: EngineFigures) -> str:
    rows = [
        f"{figures.engine}: {figures.lines} held-out lines ({figures.noise_lines} noise), "
        f"accuracy {figures.accuracy_raw:.3f} raw, {figures.accuracy_floor:.3f} with the floor; "
        f"ECE {figures.ece:.3f}; calls with an unwanted side effect "
        f"{figures.calls_with_unwanted}/{figures.calls} "
        f"(noise callers {figures.noise_calls_with_unwanted}/{figures.noise_lines}); "
        f"wanted side effect done {figures.wanted_done}/{figures.wanted_calls}, "
        f"a yes asked again {figures.yes_asked_again} times",
        "| confidence | lines | mean confidence | right |",
        "|---|---:|---:|---:|",
    ]
    for b in figures.bins:
        mean = f"{b.mean_confidence:.2f}" if b.count else "-"
        right = f"{b.accuracy:.2f}" if b.count else "-"
        rows.append(f"| {b.low:.1f}-{b.high:.1f} | {b.count} | {mean} | {right} |")
    rows += [f"  unwanted: {u}" for u in figures.unwanted]
    return "\n".join(rows)


def plot(all_figures: list[EngineFigures], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "k:", label="perfectly calibrated")
    for figures in all_figures:
        used = [b for b in figures.bins if b.count]
        ax.plot(
            [b.mean_confidence for b in used],
            [b.accuracy for b in used],
            "o-",
            label=f"{figures.engine} (ECE {figures.ece:.3f})",
        )
    ax.set_xlabel("confidence (mean in bin)")
    ax.set_ylabel("share right")
    ax.set_title("Reliability on spillway/languages/en/heldout_calls.yml")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rasa", action="store_true", help="also measure Rasa")
    parser.add_argument("--asr", action="store_true", help="only the recogniser's confidence")
    parser.add_argument("--png", type=Path, help="write the reliability curve here")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument(
        "--floor", type=float, help="the engine's confidence floor (default: nlu.min_confidence)"
    )
    parser.add_argument(
        "--min-yes",
        type=float,
        help="a classifier-only yes to a look-up (default: nlu.min_yes_confidence)",
    )
    args = parser.parse_args()
    if args.asr:
        await measure_asr()
        return
    nlu = Settings().nlu
    threshold = nlu.min_confidence if args.floor is None else args.floor
    min_yes = nlu.min_yes_confidence if args.min_yes is None else args.min_yes
    print(f"confidence floor {threshold}, a yes that acts needs {min_yes}")
    results = [await measure_fallback(threshold, min_yes)]
    print(table(results[0]), flush=True)  # before Rasa, whose start may fail
    if args.rasa:
        results.append(await measure_rasa(threshold, min_yes))
        print(table(results[1]))
    if args.png:
        plot(results, args.png)
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in results], indent=2))


if __name__ == "__main__":
    asyncio.run(main())
