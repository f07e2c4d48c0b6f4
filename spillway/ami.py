"""A thin, typed layer over panoramisk's AMI client.

panoramisk does the wire protocol; this module adds what Spillway needs on
top: a connect that fails fast (timeout, refused login) instead of retrying
forever, one function that maps AMI error responses to :class:`AmiError`,
and event subscriptions as asyncio queues.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from panoramisk import Manager
from panoramisk.message import Message

from spillway.errors import AmiAuthError, AmiError
from spillway.settings import PbxSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AmiEndpoint:
    host: str
    port: int
    username: str
    secret: str
    timeout_s: float = 5.0

    @classmethod
    def from_settings(cls, pbx: PbxSettings, secret: str) -> AmiEndpoint:
        """The configured PBX's AMI (``secret``: ``Settings.require_ami_secret()``)."""
        return cls(pbx.host, pbx.ami_port, pbx.ami_username, secret, pbx.ami_timeout_s)


def check_response(action: str, response: Any) -> Message:
    """Return the first message of a response, or raise AmiError for an error one."""
    first = response[0] if isinstance(response, list) else response
    if not isinstance(first, Message):
        raise AmiError(f"AMI {action}: unexpected response {response!r}")
    if isinstance(response, list):
        # An async Originate answers "queued" first; the real verdict is the
        # OriginateResponse event that completes the list.
        for message in response[1:]:
            if str(message.get("Response", "")).lower() in ("failure", "fail", "error"):
                reason = message.get("Reason", message.get("Message", "no reason"))
                raise AmiError(f"AMI {action} failed: {message.get('Event', '')} {reason}")
    status = str(first.get("Response", "")).lower()
    if status in ("error", "fail", "failure"):
        # A failed CLI command says "Command output follows": the reason is in the output.
        detail = _output_text(first).strip() or str(first.get("Message", "no message"))
        raise AmiError(f"AMI {action} failed: {detail}")
    return first


def _output_text(message: Message) -> str:
    output = message.get("Output")
    if isinstance(output, list):
        return "\n".join(str(line) for line in output)
    if output:
        return str(output)
    return str(getattr(message, "content", "") or "")


class AmiClient:
    """A logged-in AMI connection."""

    def __init__(self, manager: Manager, endpoint: AmiEndpoint) -> None:
        self.manager = manager
        self.endpoint = endpoint
        self._queues: list[tuple[str, asyncio.Queue[Message]]] = []
        manager.register_event("*", self._dispatch)

    @classmethod
    async def connect(cls, endpoint: AmiEndpoint) -> AmiClient:
        """Connect and log in, or raise AmiError within ``endpoint.timeout_s``."""
        loop = asyncio.get_running_loop()
        manager = Manager(
            loop=loop,
            host=endpoint.host,
            port=endpoint.port,
            username=endpoint.username,
            secret=endpoint.secret,
            ping_delay=30,
            ping_interval=30,
            reconnect_timeout=2,
            log=logging.getLogger("spillway.ami.panoramisk"),
        )
        try:
            async with asyncio.timeout(endpoint.timeout_s):
                # Probe first: panoramisk retries a refused connection forever.
                _reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
                writer.close()
                await manager.connect()
                # panoramisk creates the login future in a callback; no event to await.
                while manager.authenticated_future is None and not manager.authenticated:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                if manager.authenticated_future is not None:
                    response = await manager.authenticated_future
                    if not response.success:
                        raise AmiAuthError(
                            f"AMI login as {endpoint.username!r} refused: "
                            f"{response.get('Message', 'no message')}"
                        )
        except TimeoutError as exc:
            manager.close()
            raise AmiError(
                f"AMI at {endpoint.host}:{endpoint.port} did not answer within "
                f"{endpoint.timeout_s:g} s"
            ) from exc
        except OSError as exc:
            manager.close()
            raise AmiError(f"AMI at {endpoint.host}:{endpoint.port}: {exc.strerror}") from exc
        except BaseException:
            manager.close()
            raise
        return cls(manager, endpoint)

    def _dispatch(self, _manager: Manager, event: Message) -> None:
        name = str(event.get("Event", ""))
        for pattern, queue in self._queues:
            if pattern == "*" or pattern.lower() == name.lower():
                queue.put_nowait(event)

    @contextlib.contextmanager
    def subscribe(self, *names: str) -> Any:
        """Queue events named ``names`` (all with ``*``) while the block runs."""
        queue: asyncio.Queue[Message] = asyncio.Queue()
        entries = [(name, queue) for name in (names or ("*",))]
        self._queues.extend(entries)
        try:
            yield queue
        finally:
            for entry in entries:
                self._queues.remove(entry)

    async def action(self, action: dict[str, Any], *, as_list: bool | None = None) -> Any:
        """Send one action; return the response (a list for event lists)."""
        name = str(action.get("Action", "?"))
        try:
            async with asyncio.timeout(self.endpoint.timeout_s * 2):
                response = await self.manager.send_action(dict(action), as_list=as_list)
        except TimeoutError as exc:
            raise AmiError(f"AMI {name}: no response") from exc
        check_response(name, response)
        return response

    async def command(self, cli: str) -> str:
        """Run an Asterisk CLI command through AMI and return its output."""
        response = await self.action({"Action": "Command", "Command": cli})
        return _output_text(check_response("Command", response))

    async def getvar(self, channel: str, variable: str) -> str | None:
        response = await self.action({"Action": "Getvar", "Channel": channel, "Variable": variable})
        value = check_response("Getvar", response).get("Value")
        return None if value in (None, "", "(null)") else str(value)

    async def events(self, *names: str) -> AsyncIterator[Message]:
        """Iterate events forever (until cancelled)."""
        with self.subscribe(*names) as queue:
            while True:
                yield await queue.get()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.manager.send_action({"Action": "Logoff"}), 1.0)
        self.manager.close()
