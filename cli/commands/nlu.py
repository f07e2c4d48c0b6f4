"""`spillway nlu ...`: install, train, serve and stop Rasa; parse text; evaluate both
engines."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.table import Table

from bot.nlu.data import LANGUAGES, load_heldout, load_nlu_data, project_dir
from bot.nlu.engine import NluEngine, NluEngineConfig
from bot.nlu.evaluation import EngineReport, default_split, evaluate_fallback, evaluate_rasa
from bot.nlu.fallback_cache import load_or_train
from bot.nlu.rasa_client import RasaClient
from bot.nlu.rasa_service import DEFAULT_PYTHON, RasaInstall, RasaServer, train_model
from cli import nlu_process
from cli.admin_words import admin_words
from cli.context import app_context
from spillway.errors import ConfigError, NluError
from spillway.settings import Settings

app = typer.Typer(
    help="Intent understanding: the Rasa service and the in-process fallback.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

ProjectOpt = Annotated[
    Path | None,
    typer.Option(
        "--project",
        help="Rasa project directory (config, domain, data); default: the language's pack.",
    ),
]


def _check_language(value: str | None) -> str | None:
    if value is not None and value not in LANGUAGES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(LANGUAGES)}")
    return value


LanguageOpt = Annotated[
    str | None,
    typer.Option(
        "--language",
        callback=lambda value: _check_language(value),
        help=f"The language pack ({' | '.join(LANGUAGES)}); default: shop.language.",
        show_default=False,
    ),
]
PythonOpt = Annotated[
    Path, typer.Option("--python", help="Python 3.8-3.10 interpreter for Rasa's own venv.")
]


def _settings(ctx: typer.Context) -> Settings:
    return app_context(ctx).settings


def _language(ctx: typer.Context, language: str | None) -> str:
    """The --language given, else the setting ``shop.language``."""
    return language or _settings(ctx).shop.language


def _project(ctx: typer.Context, project: Path | None, language: str | None) -> Path:
    return project or project_dir(_language(ctx, language))


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if not parts.hostname or not parts.port:
        raise ConfigError(f"nlu.rasa_url {url!r} needs a host and a port")
    return parts.hostname, parts.port


@app.command()
def install(
    ctx: typer.Context,
    python: PythonOpt = DEFAULT_PYTHON,
) -> None:
    """Create Rasa's own venv in the cache and install the pinned Rasa (idempotent)."""
    rasa = RasaInstall(cache_dir=_settings(ctx).paths.cache_dir, python=python)
    if rasa.is_installed():
        console.print(f"Rasa {rasa.version} already installed in {rasa.venv_dir}")
        return
    console.print(f"installing Rasa {rasa.version} into {rasa.venv_dir} (several minutes)...")
    started = time.monotonic()
    rasa.ensure()
    console.print(f"installed in {time.monotonic() - started:.0f}s")


@app.command()
def train(
    ctx: typer.Context,
    project: ProjectOpt = None,
    language: LanguageOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Retrain even if cached.")] = False,
) -> None:
    """Train the language's Rasa NLU model (cached by a hash of the project files)."""
    rasa = RasaInstall(cache_dir=_settings(ctx).paths.cache_dir)
    started = time.monotonic()
    path, trained = train_model(rasa, _project(ctx, project, language), force=force)
    verb = "trained" if trained else "cached"
    console.print(f"{verb}: {path} ({time.monotonic() - started:.1f}s)")


@app.command()
def serve(
    ctx: typer.Context,
    project: ProjectOpt = None,
    language: LanguageOpt = None,
) -> None:
    """Train if needed, run `rasa run --enable-api` on nlu.rasa_url and restart it if it dies."""
    settings = _settings(ctx)
    host, port = _host_port(settings.nlu.rasa_url)
    app_context(ctx).announce_config()
    held = held_by_ours(settings, host, port)
    if held is not None:
        raise held
    rasa = RasaInstall(cache_dir=settings.paths.cache_dir)
    model, _ = train_model(rasa, _project(ctx, project, language))
    server = RasaServer(rasa, model, host=host, port=port)
    # Recorded so `spillway nlu stop` finds this server, however it was started.
    cache_dir = settings.paths.cache_dir
    cache_dir.mkdir(parents=True, exist_ok=True)
    nlu_process.pid_file(cache_dir).write_text(f"{os.getpid()}\n")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        console.print(f"serving {model.name} on {server.url} (logs: {server.log_path})")
        await server.supervise(stop)

    try:
        asyncio.run(run())
    finally:
        nlu_process.forget_pid_file(cache_dir, os.getpid())


def held_by_ours(settings: Settings, host: str, port: int) -> NluError | None:
    """The error to stop at when nlu.rasa_url's port is held by a Rasa server this
    machine's Spillway started (the demo's, in another language, say): it names the
    command that stops it, where Rasa's own refusal could only say "stop it"."""
    if not nlu_process.port_listening(host, port):
        return None
    cache_dir = settings.paths.cache_dir
    found = nlu_process.find_ours(cache_dir, RasaInstall(cache_dir=cache_dir).venv_dir, port)
    if found.ours is None:
        return None  # someone else's: RasaServer.supervise refuses it in its own words
    return NluError.worded(
        "port_ours", url=settings.nlu.rasa_url, pid=found.ours.pid, command=found.ours.command
    )


@app.command()
def stop(ctx: typer.Context) -> None:
    """Stop the Rasa server this machine's Spillway started (`nlu serve`, or the demo's):
    the one its pid file names, else ours on nlu.rasa_url's port; never another's."""
    settings = _settings(ctx)
    t = admin_words(settings)
    url = settings.nlu.rasa_url
    _host, port = _host_port(url)
    cache_dir = settings.paths.cache_dir
    recorded = nlu_process.pid_file(cache_dir)
    found = nlu_process.find_ours(cache_dir, RasaInstall(cache_dir=cache_dir).venv_dir, port)
    if found.stale_pid is not None:
        nlu_process.forget_pid_file(cache_dir, found.stale_pid)
        console.print(t("cli.nlu_stop.stale", pid_file=recorded, pid=found.stale_pid), markup=False)
    for other in found.foreign:
        err_console.print(
            t("cli.nlu_stop.foreign", url=url, pid=other.pid, command=other.command), markup=False
        )
    if found.ours is None:
        if not found.foreign:
            console.print(t("cli.nlu_stop.none", pid_file=recorded, url=url), markup=False)
        raise typer.Exit(1 if found.foreign else 0)
    ours = found.ours
    if not nlu_process.stop_process(ours):
        err_console.print(
            t("cli.nlu_stop.still_running", pid=ours.pid, seconds=f"{nlu_process.STOP_GRACE_S:g}"),
            markup=False,
        )
        raise typer.Exit(1)
    nlu_process.forget_pid_file(cache_dir, ours.pid)
    console.print(t("cli.nlu_stop.stopped", pid=ours.pid, command=ours.command), markup=False)


@app.command()
def parse(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What the caller said (as ASR writes it).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    rasa: Annotated[
        bool,
        typer.Option("--rasa/--no-rasa", help="Ask Rasa first (--no-rasa: the fallback only)."),
    ] = True,
    language: LanguageOpt = None,
) -> None:
    """Understand one utterance: Rasa if it answers in time, else the fallback."""
    settings = _settings(ctx)
    code = _language(ctx, language)

    async def run() -> dict[str, object]:
        rasa_client = RasaClient(settings.nlu.rasa_url, settings.nlu.timeout_ms) if rasa else None
        engine = NluEngine(
            load_or_train(
                load_nlu_data(project_dir(code)), settings.paths.cache_dir, language=code
            ),
            rasa_client,
            NluEngineConfig(
                confidence_threshold=settings.nlu.min_confidence,
                retry_after_s=settings.nlu.retry_after_s,
            ),
        )
        try:
            intent = await engine.parse(text)
        finally:
            await engine.aclose()
        return {
            "intent": intent.name,
            "confidence": round(intent.confidence, 4),
            "entities": intent.entities,
            "engine": intent.engine,
        }

    result = asyncio.run(run())
    if as_json:
        typer.echo(json.dumps(result))
    else:
        console.print(result)


def _report_table(report: EngineReport) -> Table:
    table = Table(
        title=(
            f"{report.engine}: accuracy {report.accuracy:.3f} "
            f"(train {report.n_train}, test {report.n_test}, "
            f"train {report.train_s:.1f}s, {report.mean_parse_ms:.1f} ms/parse)"
            + (
                f"; order numbers {report.order_numbers_right}/{report.order_numbers}"
                if report.order_numbers
                else ""
            )
        )
    )
    for column in ("intent", "precision", "recall", "f1", "support"):
        table.add_column(column, justify="left" if column == "intent" else "right")
    for row in report.per_intent:
        table.add_row(
            row.intent,
            f"{row.precision:.2f}",
            f"{row.recall:.2f}",
            f"{row.f1:.2f}",
            str(row.support),
        )
    return table


@app.command()
def evaluate(
    ctx: typer.Context,
    project: ProjectOpt = None,
    language: LanguageOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split.")] = 42,
    test_fraction: Annotated[float, typer.Option(help="Share held out per intent.")] = 0.25,
    rasa: Annotated[bool, typer.Option("--rasa/--no-rasa", help="Also evaluate Rasa.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    heldout: Annotated[
        Path | None,
        typer.Option(
            "--heldout",
            help="Train on all the training data and test on this file instead of a split "
            "(spillway/languages/<code>/heldout.yml: caller phrasings written apart from "
            "the training data).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Per-intent precision and recall of both engines on a held-out split, or on a
    held-out file (--heldout)."""
    code = _language(ctx, language)
    where = _project(ctx, project, language)
    if heldout is not None:
        train_data, test_data = load_nlu_data(where), load_heldout(heldout, where)
    else:
        train_data, test_data = default_split(where, test_fraction, seed)
    reports = [evaluate_fallback(train_data, test_data, seed, language=code)]
    if rasa:
        rasa_venv = RasaInstall(cache_dir=_settings(ctx).paths.cache_dir)
        reports.append(asyncio.run(evaluate_rasa(train_data, test_data, rasa_venv, language=code)))
    if as_json:
        typer.echo(
            json.dumps(
                [asdict(r) | {"order_number_accuracy": r.order_number_accuracy} for r in reports],
                indent=2,
            )
        )
        return
    for report in reports:
        console.print(_report_table(report))
