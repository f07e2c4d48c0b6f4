"""What an admin reads in a service's log: an ISO time, the level once, the logger's name."""

from __future__ import annotations

import logging
import re

import pytest

from spillway.logs import setup_logging
from spillway.settings import Settings


def test_a_log_line_has_an_iso_time_and_says_its_level_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    setup_logging(Settings().logging)
    try:
        logging.getLogger("uvicorn.error").info("Started server process")
        err = capsys.readouterr().err
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    assert re.search(r"\[?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]? +INFO +uvicorn\.error: Started", err), (
        err
    )
    assert "INFO:uvicorn" not in err
