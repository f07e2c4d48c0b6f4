"""Load rendered configuration into Asterisk and read it back.

Asterisk reports configuration errors in its log, not in the reload's
answer, and keeps the old dialplan when a new one does not parse. So a
check has two halves: the log lines the reload produced (the sandbox's log
is a local file), and a read-back through AMI: every ``spillway-`` context
must be loaded with as many priorities as the rendered file has, and the
queue must exist. The read-back alone is what ``install`` can use on a
remote PBX.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path

from dialplan.render import RenderedFile
from dialplan.sandbox import Sandbox
from spillway.ami import AmiClient
from spillway.errors import AmiError

_CONTEXT = re.compile(r"^\[(spillway-[A-Za-z0-9_-]+)\]", re.MULTILINE)
_PRIORITY_LINE = re.compile(r"^\s*(exten|same)\s*=>", re.IGNORECASE)
_SHOWN_SUMMARY = re.compile(r"\((\d+) priorit(?:y|ies)\) in 1 context")
_LOG_PROBLEM = re.compile(r"\b(ERROR|WARNING)\[")
_AGI_URL = re.compile(r"agi://[A-Za-z0-9.:\[\]_-]+/(?:inbound|offer|choice|after-bot|callback)")

# Reload commands, in order, for the modules our files configure.
RELOAD_COMMANDS = (
    "dialplan reload",
    "module reload app_queue.so",
    "module reload res_pjsip.so",
    "module reload res_websocket_client.so",
)


@dataclass(frozen=True, slots=True)
class CheckReport:
    errors: list[str]
    contexts: dict[str, str] = field(default_factory=dict)
    queue: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def expected_priorities(extensions_text: str) -> dict[str, int]:
    """Priorities per spillway- context in a rendered extensions file."""
    counts: dict[str, int] = {}
    current: str | None = None
    for line in extensions_text.splitlines():
        match = _CONTEXT.match(line)
        if match:
            current = match.group(1)
            counts[current] = 0
        elif line.startswith("["):
            current = None
        elif current is not None and _PRIORITY_LINE.match(line.split(";", 1)[0]):
            counts[current] += 1
    return counts


def shown_priorities(output: str) -> int:
    """Priorities in a ``dialplan show <context>`` answer, from its summary line.

    The answer ends in "-= 2 extensions (9 priorities) in 1 context. =-".
    """
    match = _SHOWN_SUMMARY.search(output)
    return int(match.group(1)) if match else 0


async def _command(ami: AmiClient, cli: str) -> str:
    # A CLI command that fails ("no such context") comes back as an AMI error.
    try:
        return await ami.command(cli)
    except AmiError as exc:
        return str(exc)


async def read_back(ami: AmiClient, files: list[RenderedFile], queue_name: str) -> CheckReport:
    """Compare what Asterisk has loaded with what was rendered."""
    errors: list[str] = []
    contexts: dict[str, str] = {}
    texts = {f.name: f.text for f in files}
    extensions = next((t for n, t in texts.items() if n.startswith("extensions")), "")
    for context, wanted in expected_priorities(extensions).items():
        output = await _command(ami, f"dialplan show {context}")
        contexts[context] = output
        shown = shown_priorities(output)
        if "There is no existence of" in output or shown == 0:
            errors.append(f"context {context} is not loaded")
        elif shown != wanted:
            errors.append(f"context {context}: {shown} priorities loaded, {wanted} rendered")
    # The counts match after a reload that kept the previous dialplan, too; the
    # address Asterisk is told to ask must be the one just rendered.
    for url in dict.fromkeys(_AGI_URL.findall(extensions)):
        if url not in contexts.get("spillway-inbound", "") + contexts.get("spillway-route", ""):
            errors.append(f"the loaded dialplan does not ask {url}: the new one did not load")
    queue = await _command(ami, f"queue show {queue_name}")
    if f"No such queue: {queue_name}" in queue or queue_name not in queue:
        errors.append(f"queue {queue_name} is not loaded: {queue.strip()[:200]}")
    return CheckReport(errors, contexts, queue)


async def config_errors(ami: AmiClient, names: list[str]) -> list[str]:
    """Asterisk's own parser on each named file (AMI GetConfig), so also on a remote PBX.

    A file that does not parse (ours, or the PBX's own ``extensions.conf``
    that includes it) makes ``dialplan reload`` keep the previous dialplan,
    which a read-back alone could mistake for success.
    """
    errors = []
    for name in dict.fromkeys(names):
        try:
            await ami.action({"Action": "GetConfig", "Filename": name})
        except AmiError as exc:
            errors.append(f"{name}: {exc}")
    return errors


async def reload(ami: AmiClient) -> None:
    for command in RELOAD_COMMANDS:
        await ami.command(command)


def _log_problems(log_file: Path, offset: int, names: list[str]) -> list[str]:
    try:
        with log_file.open("rb") as handle:
            handle.seek(offset)
            new = handle.read().decode("utf-8", "replace")
    except OSError:
        return []
    problems = []
    for line in new.splitlines():
        if _LOG_PROBLEM.search(line) and (
            any(name in line for name in names) or "config.c" in line or "pbx_config" in line
        ):
            problems.append(line.strip())
    return problems


async def check_in_sandbox(
    sandbox: Sandbox,
    ami: AmiClient,
    files: list[RenderedFile],
    *,
    queue_name: str,
) -> CheckReport:
    """Load ``files`` into the running sandbox, read them back, then restore its own config."""
    etc = sandbox.base / "etc"
    log_file = sandbox.base / "log" / "messages"
    offset = log_file.stat().st_size if log_file.exists() else 0
    try:
        for rendered in files:
            (etc / rendered.name).write_text(rendered.text, encoding="utf-8")
        await reload(ami)
        await asyncio.sleep(0.3)  # the logger thread writes asynchronously
        problems = _log_problems(log_file, offset, [f.name for f in files])
        problems += await config_errors(ami, [f.name for f in files])
        report = await read_back(ami, files, queue_name)
        return CheckReport(problems + report.errors, report.contexts, report.queue)
    finally:
        await asyncio.to_thread(sandbox.write_config)
        await reload(ami)
