"""Over the real sandbox: a SIP softphone (baresip) on loopback registers and calls in.

baresip (Debian package ``baresip-core``) runs headless: a sine tone as its
microphone, a WAV file as its speaker. It registers with digest auth, dials
100, and the call must enter ``spillway-inbound`` and reach Spillway's
controller like any incoming call. Skipped when baresip is not installed.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest

from dialplan.render import SOFTPHONE_USER, softphone_password
from dialplan.sandbox import free_port
from tests.call_harness import routing_harness
from tests.conftest import PbxHandle

pytestmark = [
    pytest.mark.asterisk,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(shutil.which("baresip") is None, reason="apt-get install baresip-core"),
]


def baresip_config(folder: Path, *, sip_port: int, password: str) -> Path:
    """A headless baresip: loopback only, G.711, tone in, file out."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config").write_text(
        f"""\
poll_method epoll
sip_listen 127.0.0.1:{free_port()}
audio_player aufile,{folder / "heard.wav"}
audio_source ausine,440
ausrc_srate 48000
ausrc_channels 2
auplay_srate 48000
audio_alert aufile,/dev/null
rtp_ports 30000-30100
module_path /usr/lib/baresip/modules
module g711.so
module ausine.so
module aufile.so
module_app account.so
module_app menu.so
"""
    )
    (folder / "accounts").write_text(
        f"<sip:{SOFTPHONE_USER}@127.0.0.1:{sip_port}>;auth_pass={password};"
        "regint=60;audio_codecs=PCMU\n"
    )
    (folder / "contacts").write_text("")
    return folder


async def test_softphone_registers_and_calls_into_spillway_inbound(
    pbx: PbxHandle, tmp_path: Path
) -> None:
    password = softphone_password(pbx.settings.require_ami_secret())
    sip_port = pbx.settings.pbx.sip_port
    config = baresip_config(tmp_path / "baresip", sip_port=sip_port, password=password)
    async with routing_harness(pbx, tmp_path / "calls.db", agents=1, max_wait_s=30) as h:
        process = await asyncio.create_subprocess_exec(
            "baresip",
            "-f",
            str(config),
            "-e",
            f"/dial sip:100@127.0.0.1:{sip_port}",
            "-t",
            "20",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            # Registration: the AOR holds the softphone's contact.
            deadline = time.monotonic() + 10
            while True:
                contacts = await pbx.ami.command(f"pjsip show aor {SOFTPHONE_USER}")
                if f"{SOFTPHONE_USER}/sip:" in contacts:
                    break
                assert time.monotonic() < deadline, contacts
                await asyncio.sleep(0.2)
            # The call: the controller's inbound route saw a PJSIP channel from it.
            deadline = time.monotonic() + 10
            while True:
                rows = h.rows("SELECT caller, channel FROM calls")
                if rows:
                    break
                if time.monotonic() > deadline:
                    process.terminate()
                    out, _ = await process.communicate()
                    log = (pbx.sandbox.base / "log" / "messages").read_text()[-3000:]
                    raise AssertionError(f"never reached Spillway:\n{out.decode()[-3000:]}\n{log}")
                await asyncio.sleep(0.1)
            assert rows[0]["channel"].startswith(f"PJSIP/{SOFTPHONE_USER}-")
            assert rows[0]["caller"] == SOFTPHONE_USER
        finally:
            if process.returncode is None:
                process.terminate()
            await process.communicate()
