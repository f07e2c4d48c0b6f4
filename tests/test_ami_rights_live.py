"""Over the real sandbox: the dialling AMI user places a callback end to end, forgets
its attempt through the dialplan, and is refused what reaches beyond calls; the
doctor reads a user's rights from the live Asterisk and warns on command or system."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import SecretStr

from cli.ami_rights import check_ami_rights
from scheduler import intake
from scheduler.dialer import Dialer, DialerConfig
from scheduler.intake import NewRequest
from scheduler.originate import ASTDB_FAMILY, AmiOriginator
from scheduler.requests import RequestSource
from scheduler.rules import CallingRules
from spillway.ami import AmiClient, AmiEndpoint
from spillway.errors import AmiError
from spillway.storage import AsyncStore, SqliteStore
from tests.call_harness import apply_settings, clear_channels, routing_settings
from tests.conftest import PbxHandle

pytestmark = [pytest.mark.asterisk, pytest.mark.asyncio(loop_scope="session")]

ALWAYS = CallingRules(windows=((0.0, 24.0),) * 7, holiday_country=None, min_gap_s=0, expiry_s=3600)


@pytest_asyncio.fixture(loop_scope="session")
async def dialling(pbx: PbxHandle) -> AsyncIterator[AmiClient]:
    """Logged in as the dialling user, the one the scheduler uses."""
    settings = routing_settings(pbx.settings, agents=3)
    await apply_settings(pbx, settings)
    ami = await AmiClient.connect(
        AmiEndpoint.from_settings(settings.pbx, settings.require_ami_secret())
    )
    try:
        yield ami
    finally:
        await ami.close()
        await clear_channels(pbx)


async def _astdb(pbx: PbxHandle, key: str) -> str | None:
    try:
        response = await pbx.ami.action({"Action": "DBGet", "Family": ASTDB_FAMILY, "Key": key})
    except AmiError:  # "Database entry not found"
        return None
    for message in response if isinstance(response, list) else [response]:
        if message.get("Event") == "DBGetResponse":
            return str(message.get("Val"))
    return None


async def test_the_dialling_user_calls_back_end_to_end_but_may_not_run_commands(
    pbx: PbxHandle, dialling: AmiClient, tmp_path: Path
) -> None:
    phone = "+4520129901"
    for family, value in (("spillway-sim", "answer"), ("spillway-sim-hold", "2")):
        await pbx.ami.action({"Action": "DBPut", "Family": family, "Key": phone[1:], "Val": value})
    store = SqliteStore(tmp_path / "cb.db")
    store.migrate()
    db = AsyncStore(store)
    try:
        with store.transaction() as tx:
            request_id = intake.record(
                tx, NewRequest(phone, RequestSource.API, "test"), region="DK", now=time.time()
            ).id
        config = DialerConfig(
            queue=pbx.settings.queue.name,
            ring_s=4,
            agent_wait_s=3,
            poll_interval_s=0.2,
            retry_backoff_s=600,
            node="test",
        )
        dialer = Dialer(db, AmiOriginator(dialling), ALWAYS, config)
        assert await dialer.tick() == 1
        await dialer.wait_idle(30)
        [attempt] = store.query(
            "SELECT id, outcome FROM callback_attempts WHERE request_id = ?", (request_id,)
        )
        assert attempt["outcome"] == "answered"
        # The dialler forgot the attempt once its outcome was stored: the key is gone.
        deadline = time.monotonic() + 5
        while await _astdb(pbx, attempt["id"]) is not None:
            assert time.monotonic() < deadline, "the attempt's AstDB key was not forgotten"
            await asyncio.sleep(0.1)
    finally:
        db.close()
        store.close()
    with pytest.raises(AmiError, match="Permission denied"):
        await dialling.command("core show uptime")


async def test_forgetting_removes_the_key_without_the_right_to_delete_it(
    pbx: PbxHandle, dialling: AmiClient
) -> None:
    key, stranger = "cb-0fa1afe1", "not-an-attempt"
    for k in (key, stranger):
        await pbx.ami.action({"Action": "DBPut", "Family": ASTDB_FAMILY, "Key": k, "Val": "BUSY"})
    with pytest.raises(AmiError, match="Permission denied"):
        await dialling.action({"Action": "DBDel", "Family": ASTDB_FAMILY, "Key": key})
    originator = AmiOriginator(dialling)
    await originator.forget(key)
    await originator.forget(stranger)  # only attempt ids are accepted
    deadline = time.monotonic() + 5
    while await _astdb(pbx, key) is not None:
        assert time.monotonic() < deadline, "the forget Originate left the key"
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)
    assert await _astdb(pbx, stranger) == "BUSY"
    await pbx.ami.action({"Action": "DBDel", "Family": ASTDB_FAMILY, "Key": stranger})


async def test_the_doctor_reads_the_live_rights_and_warns_on_command_or_system(
    pbx: PbxHandle,
) -> None:
    quiet = await check_ami_rights(pbx.settings)
    assert quiet.ok and not quiet.warning, quiet.detail
    # An over-privileged user granted in a file of the admin's own (as FreePBX's
    # manager_additional.conf would), which no file the doctor might read names.
    etc = pbx.sandbox.base / "etc"
    manager = etc / "manager.conf"
    original = manager.read_text()
    (etc / "manager_wide.conf").write_text(
        "[wide]\nsecret = widesecret\npermit = 127.0.0.1/255.255.255.255\n"
        "read = all\nwrite = system,call,originate,command,reporting\n"
    )
    manager.write_text(original + "#include manager_wide.conf\n")
    try:
        await pbx.ami.command("manager reload")
        wide = pbx.settings.pbx.model_copy(
            update={"ami_username": "wide", "ami_secret": SecretStr("widesecret")}
        )
        check = await check_ami_rights(pbx.settings.model_copy(update={"pbx": wide}))
    finally:
        manager.write_text(original)
        (etc / "manager_wide.conf").unlink()
        await pbx.ami.command("manager reload")
    assert check.ok and check.warning
    assert "Command" in check.detail and "command, system" in check.detail
