"""The settings of several workers behind one PBX: ``pbx.workers`` and ``controller.worker``.

A *worker* is one `spillway serve` process (on its own machine, or one of
several on a machine), all of them sharing one database. The PBX's rendered
dialplan asks them in the order listed; each entry names where its FastAGI
listener and its media listeners are reached. Kept apart from
:mod:`spillway.settings` so that module stays one size; it imports this one.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

# A worker's name goes into a websocket_client section name and into calls.worker.
WORKER_NAME = r"^[a-z0-9][a-z0-9_-]{0,31}$"


def _host_port(value: str) -> str:
    """``host:port`` with a port number; IPv6 hosts in brackets (``[::1]:4573``)."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise PydanticCustomError("host_port", "host:port, e.g. 10.0.0.11:4573")
    if any(c in host for c in ",/()${}? ") or (":" in host and not host.startswith("[")):
        # A host Asterisk could not take (a list, a path, an IPv6 address unbracketed).
        raise PydanticCustomError(
            "host_port_host", "host:port, e.g. 10.0.0.11:4573 ([::1]:4573 for an IPv6 address)"
        )
    return value


HostPort = Annotated[str, AfterValidator(_host_port)]


class WorkerSettings(BaseModel):
    """One worker as the PBX reaches it (one entry of ``pbx.workers``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=WORKER_NAME)
    # Where Asterisk opens FastAGI connections to this worker.
    fastagi: HostPort
    # The host Asterisk's media connections go to (default: fastagi's host).
    media_host: str | None = Field(None, pattern=r"^[A-Za-z0-9_.:\[\]-]+$")
    websocket_port: int = Field(18765, ge=1, le=65535)
    audiosocket_port: int = Field(19092, ge=1, le=65535)

    @property
    def fastagi_host(self) -> str:
        return self.fastagi.rpartition(":")[0]

    @property
    def fastagi_port(self) -> int:
        return int(self.fastagi.rpartition(":")[2])

    @property
    def media(self) -> str:
        return self.media_host or self.fastagi_host


def _distinct(workers: tuple[WorkerSettings, ...]) -> tuple[WorkerSettings, ...]:
    """No two workers share a name or a FastAGI address (the dialplan tells them apart by both)."""
    seen_names: set[str] = set()
    seen_agi: set[str] = set()
    for i, w in enumerate(workers):
        # "key": the error line names the entry (Settings' error text reads it).
        if w.name in seen_names:
            raise PydanticCustomError(
                "worker_name_taken",
                "a name no other worker has",
                {"key": f"pbx.workers.{i}.name", "value": w.name},
            )
        if w.fastagi in seen_agi:
            raise PydanticCustomError(
                "worker_fastagi_taken",
                "an address no other worker has",
                {"key": f"pbx.workers.{i}.fastagi", "value": w.fastagi},
            )
        seen_names.add(w.name)
        seen_agi.add(w.fastagi)
    return workers


WorkerList = Annotated[tuple[WorkerSettings, ...], AfterValidator(_distinct)]


def check_own_worker(name: str, workers: tuple[WorkerSettings, ...]) -> None:
    """A set ``controller.worker`` names one of ``pbx.workers``. (Empty is checked where it
    matters: `spillway serve` refuses it when workers are listed; the scheduler and the
    console, reading the same file, are no worker.)"""
    names = [w.name for w in workers]
    if not name or name in names:
        return
    # "key", "with_keys": the error line names controller.worker and where both came from.
    where = {"key": "controller.worker", "value": name, "with_keys": "pbx.workers"}
    if not names:
        raise PydanticCustomError("no_workers_listed", "empty: pbx.workers lists no workers", where)
    raise PydanticCustomError(
        "not_a_listed_worker",
        "one of the names in pbx.workers ({names})",
        {"names": ", ".join(names), **where},
    )
