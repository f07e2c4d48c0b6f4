"""Logging set-up, done once by the CLI: Rich on a terminal, JSON lines if asked."""

from __future__ import annotations

import json
import logging
import sys

from rich.logging import RichHandler

from spillway.settings import LoggingSettings


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
        handler = RichHandler(show_path=False, rich_tracebacks=False)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # panoramisk and httpx are chatty at INFO (every reconnect, every request).
    for name in ("spillway.ami.panoramisk", "panoramisk", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
