"""The callback spool: where the PBX's own callback script leaves requests.

The dialplan runs :mod:`dialplan.agi_scripts.callback_spool` when the
controller cannot take a callback request; the scheduler imports what it
wrote (:mod:`scheduler.spool`). One folder, seen by two sides, perhaps under
two names: in the sandbox Asterisk runs in a chroot, so this module works out
both names from the settings.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from dialplan.layout import SandboxLayout
from spillway.settings import Settings

SCRIPT_NAME = "spillway-callback-spool.py"
SANDBOX_SPOOL = "spool/callbacks"
SANDBOX_AGI_BIN = "agi-bin"


@dataclass(frozen=True, slots=True)
class SpoolDirs:
    local: Path  # the folder as this host (the scheduler) sees it
    pbx: str  # the same folder as Asterisk sees it
    script: str  # the script as Asterisk runs it (AGI() argument)


def callback_spool(settings: Settings) -> SpoolDirs:
    """Both names of the spool folder, and the script's, for these settings."""
    cb = settings.callbacks
    if settings.pbx.mode == "sandbox":
        layout = SandboxLayout.from_settings(settings)
        local = cb.spool_dir or layout.outside(SANDBOX_SPOOL)
        pbx = cb.pbx_spool_dir or (str(local) if cb.spool_dir else layout.inside(SANDBOX_SPOOL))
        return SpoolDirs(local, pbx, layout.inside(f"{SANDBOX_AGI_BIN}/{SCRIPT_NAME}"))
    local = cb.spool_dir or settings.paths.data_dir / "spool" / "callbacks"
    return SpoolDirs(local, cb.pbx_spool_dir or str(local), cb.spool_script)


def script_text() -> str:
    """The classic AGI script's source, as it goes into an agi-bin folder."""
    return resources.files("dialplan.agi_scripts").joinpath("callback_spool.py").read_text("utf-8")


def install_script(folder: Path) -> Path:
    """Put the script into ``folder``, executable, all at once."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / SCRIPT_NAME
    tmp = target.with_name(f".{SCRIPT_NAME}.tmp")
    tmp.write_text(script_text(), encoding="utf-8")
    os.chmod(tmp, 0o755)
    os.replace(tmp, target)
    return target


def copy_pyst2(pylib: Path) -> None:
    """Copy pyst2's ``asterisk`` package (from this environment) into ``pylib``."""
    import asterisk  # pyst2

    source = Path(asterisk.__file__).parent
    target = pylib / "asterisk"
    if (target / "agi.py").is_file():
        return
    pylib.mkdir(parents=True, exist_ok=True)
    # Copied aside, then renamed: two sandboxes starting at once never see half a copy.
    partial = pylib / f".asterisk-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(source, partial, ignore=shutil.ignore_patterns("__pycache__"))
    try:
        partial.rename(target)
    except OSError:  # the other one won
        shutil.rmtree(partial, ignore_errors=True)
