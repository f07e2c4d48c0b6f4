"""Logging set-up, done once by the CLI: Rich on a terminal, JSON lines if asked.

Every record passes :class:`MaskPhoneNumbers` first: a phone number never
reaches a log line whole, whoever wrote the line (ours, or a library's).
"""

from __future__ import annotations

import json
import logging
import re
import sys

from rich.console import Console
from rich.logging import RichHandler

from spillway.phone import mask_phone
from spillway.settings import LoggingSettings

# 8 to 15 digits, optionally with a leading + and single spaces or dashes
# between them: phone numbers. Not part of a longer token, so call ids
# ("1733080000.42"), ports, tracking numbers (17+ digits) and hex ids stay.
_PHONE_RE = re.compile(r"(?<![\w.:/+-])\+?\d(?:[ -]?\d){7,14}(?!\w|[.:/-]\w)")
# A number inside a channel or dial string: ``Local/4520123456@spillway``,
# ``PJSIP/+4520123456@trunk``, ``sip:+4520123456@host``, ``tel:+4520123456``.
# The slash and colon keep them out of the rule above (for paths and ports).
_CHANNEL_PHONE_RE = re.compile(
    r"(?<=[A-Za-z0-9]/)\+?\d{8,15}(?=@)|(?<=sip:|tel:)\+?\d{8,15}(?=[@;,\s]|$)"
)


def mask_numbers(text: str) -> str:
    """``text`` with every phone number in it masked (last two digits kept)."""
    text = _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)
    return _CHANNEL_PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


class MaskPhoneNumbers(logging.Filter):
    """Masks phone numbers in each record's message (and in its arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "at": record.created,
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload)


def setup_logging(settings: LoggingSettings, *, verbose: bool = False) -> None:
    level = logging.DEBUG if verbose else getattr(logging, settings.level)
    handler: logging.Handler
    if settings.json_lines:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_JsonFormatter())
    else:
        # stderr, like the JSON lines: stdout is for what a command prints.
        # ISO times (Rich's default is the locale's, "12/06/26" in C: June to a Dane);
        # Rich prints the level itself, so the message without logging's "INFO:name:".
        handler = RichHandler(
            console=Console(stderr=True),
            show_path=False,
            rich_tracebacks=False,
            log_time_format="%Y-%m-%d %H:%M:%S",
        )
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    handler.addFilter(MaskPhoneNumbers())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # panoramisk and httpx are chatty at INFO (every reconnect, every request).
    for name in ("spillway.ami.panoramisk", "panoramisk", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
