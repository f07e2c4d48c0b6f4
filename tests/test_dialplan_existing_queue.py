"""A queue the PBX already defines is used as it is: `dialplan diff` and `install` neither
write nor include a second section of it (ours, without the agents), and say which file
defines it, in the admin's language. Its definition is found in an included file too;
a template or a comment of that name is no queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from dialplan import install as installer
from dialplan.existing_queue import QUEUE_FILE, existing_queue
from dialplan.render import RenderedFile, render_spillway
from spillway.settings import Settings

SALG = "[salg]\nstrategy = ringall\nmember => PJSIP/201\nmember => PJSIP/202\n"


def _files() -> list[RenderedFile]:
    return render_spillway(Settings(queue={"name": "salg"}), ami_secret="s3cret")


def _target(tmp_path: Path, queues: str, **others: str) -> Path:
    target = tmp_path / "asterisk"
    target.mkdir()
    (target / "queues.conf").write_text(queues)
    (target / "extensions.conf").write_text("[default]\n")
    for name, text in others.items():
        path = target / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return target


def _planned(target: Path) -> dict[str, installer.PlannedFile]:
    planned = installer.plan(target, _files(), freepbx=False, queue_name="salg")
    return {p.path.name: p for p in planned if p.changed}


@pytest.mark.parametrize(
    ("queues", "others", "defined_in"),
    [
        ("[general]\n\n" + SALG, {}, "queues.conf"),
        ("[general]\n#include queues_additional.conf\n", {"queues_additional.conf": SALG},
         "queues_additional.conf"),
        ('[general]\n#tryinclude "queues.d/*.conf"\n', {"queues.d__20-salg.conf": SALG},
         "20-salg.conf"),
    ],
    ids=["queues.conf", "included", "included-by-glob"],
)  # fmt: skip
def test_the_pbxs_own_queue_is_used_and_ours_is_neither_written_nor_included(
    tmp_path: Path, queues: str, others: dict[str, str], defined_in: str
) -> None:
    target = _target(tmp_path, queues, **others)
    found = existing_queue(target, "salg")
    assert found is not None and found.path.name == defined_in
    planned = _planned(target)
    assert QUEUE_FILE not in planned and "queues.conf" not in planned
    assert "extensions_spillway.conf" in planned and "extensions.conf" in planned


@pytest.mark.parametrize(
    "queues",
    [
        "[salg](!)\nstrategy = ringall\n",
        ";[salg]\n;member => PJSIP/201\n",
        "[salgsafdeling]\n",
        "[salg](+)\nmember => PJSIP/201\n",  # members added to ours
    ],
    ids=["template", "comment", "other-queue", "added-to"],
)
def test_without_a_queue_of_that_name_ours_is_written_and_included(
    tmp_path: Path, queues: str
) -> None:
    target = _target(tmp_path, queues)
    assert existing_queue(target, "salg") is None
    planned = _planned(target)
    assert "[salg]" in planned[QUEUE_FILE].new
    assert planned["queues.conf"].new == queues + f"#include {QUEUE_FILE}\n"


async def test_an_earlier_installs_include_is_taken_out_and_nothing_else(tmp_path: Path) -> None:
    """Installed before the admin's own [salg]: two sections of one queue. The include
    line goes; their queue, and our old file (no longer read), stay."""
    queues = "[general]\n" + SALG + f"#include {QUEUE_FILE}\n"
    target = _target(tmp_path, queues, **{QUEUE_FILE: "[salg]\nstrategy = rrmemory\n"})
    found = existing_queue(target, "salg")
    assert found is not None and found.path == target / "queues.conf"
    result = await installer.install(target, _files(), ami=None, queue_name="salg")
    assert (target / "queues.conf").read_text() == "[general]\n" + SALG
    assert f"-#include {QUEUE_FILE}" in result.diff
    assert (target / QUEUE_FILE).read_text() == "[salg]\nstrategy = rrmemory\n"
    assert (result.backup / "queues.conf").read_text() == queues


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "{file} already defines the queue [salg]: Spillway uses it as it is, with its "
               "members and settings, and does not install queues_spillway.conf"),
        ("da", "{file} definerer allerede køen [salg]: Spillway bruger den, som den er, med "
               "dens medlemmer og indstillinger, og installerer ikke queues_spillway.conf"),
    ],
)  # fmt: skip
def test_diff_says_which_file_defines_the_queue_in_the_admins_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str, said: str
) -> None:
    target = _target(tmp_path, "[general]\n" + SALG)
    config = tmp_path / "spillway.yaml"
    config.write_text(f"queue:\n  name: salg\nshop:\n  language: {language}\n")
    monkeypatch.setenv("SPILLWAY_SECRETS_FILE", str(tmp_path / "none.env"))
    monkeypatch.setenv("SPILLWAY_PBX__AMI_SECRET", "s3cret")
    done = CliRunner().invoke(
        app, ["--config", str(config), "dialplan", "diff", "--target", str(target)]
    )
    assert done.exit_code == 0, done.output
    first = done.output.splitlines()[0]
    assert first == said.format(file=target / "queues.conf")
    assert QUEUE_FILE not in done.output.split("\n", 1)[1]
