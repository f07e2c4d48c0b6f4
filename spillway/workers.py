"""Several workers behind one PBX, as plain data: who they are, where each is reached.

The PBX asks the workers in ``pbx.workers`` order at each routing fork (see
``spillway-ask`` in the rendered dialplan); the first that answers and is not
full keeps the call, and every later question about it goes to that worker
(its in-memory state: the bot's outcome, the callback it offered). A worker
at its call limit, or whose bot is not up, answers ``SPILLWAY_FULL=yes`` and
the PBX asks the next one; when none can take the call its answer stands
(the queue, or the DTMF menu without the bot key). With no workers listed
there is one: ``controller.advertise_host`` and the controller's ports.

Pure: settings in, addresses and decisions out; no sockets.
"""

from __future__ import annotations

from dataclasses import dataclass

from spillway.call import Route
from spillway.errors import ConfigError
from spillway.settings import Settings

# The websocket_client section (chan_websocket connection id) of the one worker
# when none are listed; listed workers get one each, suffixed with their name.
MEDIA_CONNECTION = "spillway-media"


@dataclass(frozen=True, slots=True)
class Worker:
    """One worker as the PBX sees it."""

    name: str  # "" for the one worker of a configuration that lists none
    fastagi_host: str
    fastagi_port: int
    media_host: str
    websocket_port: int
    audiosocket_port: int

    @property
    def agi_url(self) -> str:
        """The FastAGI base the dialplan asks (``agi://host:port``)."""
        return f"agi://{self.fastagi_host}:{self.fastagi_port}"

    @property
    def media_connection(self) -> str:
        """Its websocket_client section: ``Dial(WebSocket/<this>/...)`` reaches this worker."""
        return f"{MEDIA_CONNECTION}-{self.name}" if self.name else MEDIA_CONNECTION

    @property
    def websocket_uri(self) -> str:
        return f"ws://{self.media_host}:{self.websocket_port}/media"

    @property
    def audiosocket(self) -> str:
        """AudioSocket()'s ``host:port`` for this worker."""
        return f"{self.media_host}:{self.audiosocket_port}"


def workers_of(settings: Settings) -> tuple[Worker, ...]:
    """The workers in the order the dialplan asks them (never empty)."""
    if not settings.pbx.workers:
        c = settings.controller
        return (
            Worker("", c.advertise_host, c.fastagi_port, c.advertise_host, c.websocket_port,
                   c.audiosocket_port),
        )  # fmt: skip
    return tuple(
        Worker(w.name, w.fastagi_host, w.fastagi_port, w.media, w.websocket_port,
               w.audiosocket_port)
        for w in settings.pbx.workers
    )  # fmt: skip


def own_worker(settings: Settings) -> Worker:
    """The worker this process is: ``controller.worker``'s entry (or the only one)."""
    listed = workers_of(settings)
    if not settings.pbx.workers:
        return listed[0]
    name = settings.controller.worker
    for worker in listed:
        if worker.name == name:
            return worker
    # Settings' own check refuses a name not listed; only an empty one gets here.
    raise ConfigError(
        f"config error: controller.worker = {name!r}: expected this worker's name, one of "
        f"pbx.workers ({', '.join(w.name for w in listed)})",
        hint="e.g. SPILLWAY_CONTROLLER__WORKER=" + listed[0].name,
    )


def as_worker(settings: Settings) -> Settings:
    """Settings whose controller listens where this worker's ``pbx.workers`` entry says.

    One place says where a worker is reached (the entry the PBX renders from);
    the worker binds ``controller.bind_host`` on those ports and tells the
    dialplan its media address from it.
    """
    if not settings.pbx.workers:
        return settings
    me = own_worker(settings)
    controller = settings.controller.model_copy(
        update={
            "advertise_host": me.media_host,
            "fastagi_port": me.fastagi_port,
            "websocket_port": me.websocket_port,
            "audiosocket_port": me.audiosocket_port,
        }
    )
    return settings.model_copy(update={"controller": controller})


def passes_on(wanted: Route, decided: Route) -> bool:
    """Whether a worker hands the question to the next one (``SPILLWAY_FULL=yes``).

    ``wanted`` is what a worker with room and a running bot would decide,
    ``decided`` what this one did: it wanted the bot and cannot take it
    (at its call limit, or its bot is not up), so another worker may.
    """
    return wanted is Route.BOT and decided is not Route.BOT
