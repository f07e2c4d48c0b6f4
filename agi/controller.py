"""The call controller: FastAGI routes that decide, a media handler that runs the bot.

The dialplan asks at each fork (``inbound``, ``offer``, ``choice``,
``after-bot``, ``callback``) and does what the answer says; it falls back to the queue on
its own when this controller cannot answer. Bot outcomes are handed from the
media side to the ``after-bot`` route through an in-memory table keyed by
call id: if this process dies, the table is gone and the dialplan's fallback
puts the caller in the queue, which is the behaviour we want.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from agi.call_log import CallLog, close_stale_calls
from agi.call_session import run_bot_call
from agi.fastagi import AgiSession, FastAgiServer
from agi.handoff import apply_handoff, held_callback
from agi.media_server import MediaServer, MediaServerConfig
from agi.menu_promise import fixed_key, promise_variables, spoken
from agi.overflow import (
    Decision,
    OverflowPolicy,
    menu_asks_plain,
    menu_offers_bot,
    parse_count,
    queue_state_from_args,
    route_after_bot,
    route_menu_choice,
    route_new_call,
    route_offer,
)
from agi.selftest_route import SelftestRoute
from scheduler import intake, requests
from scheduler.intake import NewRequest, Recorded
from scheduler.requests import RequestSource
from scheduler.rules import rules_from_settings
from scheduler.signals import SignalKind
from scheduler.stored_promise import Promise, stored_promise
from scheduler.timing.choice import TimingConfig
from spillway.call import (
    RETURN_PRIORITY,
    Bot,
    BotOutcome,
    CallContext,
    CallEvent,
    CallEventKind,
    CallOutcome,
    CallStage,
    EventSink,
    Route,
)
from spillway.media import MediaSession
from spillway.phone import mask_phone, normalise_phone
from spillway.settings import Settings
from spillway.storage import AsyncStore, Store, open_store
from spillway.workers import as_worker, own_worker, passes_on, workers_of

log = logging.getLogger(__name__)

ROUTES = ("inbound", "offer", "choice", "after-bot", "callback", "agent", "hangup")


@dataclass(slots=True)
class LiveCall:
    """What the controller remembers about a call between its AGI visits."""

    context: CallContext
    outcome: BotOutcome | None = None
    bot_started_at: float | None = None
    # The route this controller last sent the call to: only a call it sent
    # to ``callback`` may record a callback request.
    last_route: Route | None = None
    # A callback the bot's hand-over left open: closed when an agent takes the call.
    held_callback: int | None = None


class CallController:
    """Owns the routing decisions and the bot calls of one Spillway process."""

    def __init__(
        self,
        settings: Settings,
        store: AsyncStore,
        sink: EventSink,
        bot: Bot | None,
        *,
        bot_ready: Callable[[], bool] | None = None,
        bot_time_limit_s: float = 600.0,
    ) -> None:
        self.settings = settings
        self.store = store
        self.sink = sink
        self.bot = bot
        self.policy = OverflowPolicy.from_settings(settings.queue)
        # The calling rules: what a menu caller is promised (the request's deadline).
        self.rules = rules_from_settings(settings)
        self.clock: Callable[[], float] = time.time  # UNIX seconds (tests fix it)
        self._bot_ready = bot_ready or (lambda: True)
        self.bot_time_limit_s = bot_time_limit_s
        self.calls: dict[str, LiveCall] = {}
        self._by_media: dict[str, str] = {}
        # Calls routed to the bot and not yet back from it (admission control).
        self.bot_calls: set[str] = set()
        self.max_bot_calls = settings.controller.bot_call_limit()
        # Tests and the benchmark watch these to see a bot call start and end.
        self.bot_started: list[CallContext] = []
        # Which of pbx.workers this is: its media address goes to the dialplan.
        self.worker = own_worker(settings)
        self.has_peers = len(workers_of(settings)) > 1

    @property
    def bot_ready(self) -> bool:
        return self.bot is not None and self._bot_ready()

    @property
    def bot_full(self) -> bool:
        """The bot has as many calls as ``controller.max_bot_calls`` allows."""
        return len(self.bot_calls) >= self.max_bot_calls

    @property
    def bot_speaks_offer(self) -> bool:
        """Whether the bot can make the overflow offer itself (speech and keys)."""
        return bool(getattr(self.bot, "speaks_offer", False))

    def install(self, server: FastAgiServer) -> None:
        server.route("inbound", self.inbound)
        server.route("offer", self.offer)
        server.route("choice", self.choice)
        server.route("after-bot", self.after_bot)
        server.route("callback", self.callback)
        server.route("agent", self.agent)
        server.route("hangup", self.hangup)
        SelftestRoute().install(server)  # `spillway doctor --call`

    # -- FastAGI routes ------------------------------------------------------
    async def _call(self, session: AgiSession) -> LiveCall:
        call_id = session.request.unique_id
        live = self.calls.get(call_id)
        if live is None:
            # A call that started before this process did: rebuild what we can.
            live = LiveCall(
                CallContext(
                    call_id=call_id,
                    caller=session.request.caller_id,
                    channel=session.request.channel,
                    transport=self.settings.controller.transport,
                )
            )
            self.calls[call_id] = live
            # Another worker had it (and is full or gone): the call is ours now.
            await self.sink.claim(call_id)
        return live

    async def _route(
        self,
        session: AgiSession,
        live: LiveCall,
        decision: Decision,
        *,
        offer: bool = False,
        wanted: Route | None = None,
    ) -> None:
        """Tell the dialplan ``decision``; ``wanted``: what a worker with room would have
        decided (the dialplan asks the next worker when this one cannot take the bot)."""
        call_id = live.context.call_id
        if wanted is not None and passes_on(wanted, decision.route):
            await session.set_variable("SPILLWAY_FULL", "yes")
            if self.has_peers:
                # The next worker may take the call; one that asks us again is rebuilt.
                self.calls.pop(call_id, None)
        if decision.route is not Route.BOT:
            self.bot_calls.discard(call_id)
        else:
            self.bot_calls.add(call_id)
            media_id = str(uuid.uuid4())
            live.context = CallContext(
                call_id=call_id,
                caller=live.context.caller,
                channel=live.context.channel,
                transport=self.settings.controller.transport,
                media_id=media_id,
                started_at=live.context.started_at,
                offer=offer,
            )
            live.outcome = None
            self._by_media[media_id] = call_id
            await session.set_variable("SPILLWAY_MEDIA_ID", media_id)
            # This worker's own media address: the call's audio must reach its dialogue.
            await session.set_variable("SPILLWAY_MEDIA_WS", self.worker.media_connection)
            await session.set_variable("SPILLWAY_MEDIA_AS", self.worker.audiosocket)
            await session.set_variable("SPILLWAY_TRANSPORT", live.context.transport)
        await session.set_variable("SPILLWAY_ROUTE", decision.route.value)
        live.last_route = decision.route
        await self.sink.event(
            CallEvent(
                call_id,
                CallEventKind.ROUTE,
                {"route": decision.route.value, "reason": decision.reason},
            )
        )
        log.info(
            "call %s from %s -> %s (%s)",
            call_id,
            mask_phone(live.context.caller),
            decision.route.value,
            decision.reason,
        )

    async def inbound(self, session: AgiSession) -> None:
        request = session.request
        live = LiveCall(
            CallContext(
                call_id=request.unique_id,
                caller=request.caller_id,
                channel=request.channel,
                transport=self.settings.controller.transport,
            )
        )
        self.calls[request.unique_id] = live
        state = queue_state_from_args(request.args)
        decision = route_new_call(
            state, self.policy, bot_ready=self.bot_ready, bot_full=self.bot_full
        )
        wanted = route_new_call(state, self.policy, bot_ready=True)
        await self.sink.start(
            request.unique_id,
            caller=request.caller_id,
            channel=request.channel,
            transport=self.settings.controller.transport,
            claim=not passes_on(wanted.route, decision.route),
        )
        # After _route, which takes the bot's slot before its first round trip to
        # Asterisk: calls arriving together must not all see a free slot.
        await self._route(session, live, decision, wanted=wanted.route)
        caller = normalise_phone(request.caller_id, self.settings.shop.country)
        if caller is not None:  # an anonymous caller ID says nothing about anyone's hours
            await self.sink.signal(
                f"call:{request.unique_id}",
                phone=caller,
                kind=SignalKind.INBOUND_CALL,
                at_s=time.time(),
            )
        await session.set_variable("SPILLWAY_WAIT_S", str(self.policy.max_wait_s))

    async def offer(self, session: AgiSession) -> None:
        """Waited past max_wait: the bot makes the offer, or the dialplan's DTMF menu does."""
        live = await self._call(session)
        decision = route_offer(
            bot_ready=self.bot_ready, bot_speaks_offer=self.bot_speaks_offer, bot_full=self.bot_full
        )
        if decision.route is Route.OFFER:
            # The menu offers key 1 (the bot) only when choosing it would reach the bot.
            bot_key = menu_offers_bot(bot_ready=self.bot_ready, bot_full=self.bot_full)
            await session.set_variable("SPILLWAY_MENU_BOT", "yes" if bot_key else "no")
        wanted = route_offer(bot_ready=True, bot_speaks_offer=self.bot_speaks_offer)
        await self._route(session, live, decision, offer=True, wanted=wanted.route)

    async def choice(self, session: AgiSession) -> None:
        live = await self._call(session)
        # The key, the keys not on offer already pressed, whether the menu offered key 1.
        args = [*session.request.args, "", "", ""]
        digits, wrong_keys = args[0], parse_count(args[1]) or 0
        bot_offered = {"yes": True, "no": False}.get(args[2].strip())
        decision = route_menu_choice(
            digits,
            bot_ready=self.bot_ready,
            bot_full=self.bot_full,
            wrong_keys=wrong_keys,
            bot_offered=bot_offered,
        )
        await self.sink.turn(live.context.call_id, "caller", f"DTMF {digits or '(none)'}")
        if decision.route is Route.WAIT:
            await session.set_variable("SPILLWAY_PRIO", str(RETURN_PRIORITY))
        # What the dialplan plays first (always set: an earlier worker's words do not stand).
        await session.set_variable("SPILLWAY_SAY", "&".join(decision.say))
        wanted = route_menu_choice(
            digits, bot_ready=True, wrong_keys=wrong_keys, bot_offered=bot_offered
        )
        await self._route(session, live, decision, wanted=wanted.route)

    async def after_bot(self, session: AgiSession) -> None:
        live = await self._call(session)
        self.bot_calls.discard(live.context.call_id)
        media_status = session.request.args[0] if session.request.args else ""
        outcome = live.outcome
        failed = outcome is not None and outcome.call_outcome is CallOutcome.FAILED
        decision = route_after_bot(outcome.route if outcome else None, media_status, failed=failed)
        live.held_callback = held_callback(decision.route, outcome)
        if decision.route is Route.HANDOFF and outcome is not None:
            await apply_handoff(session, outcome.handoff)
        elif decision.route is Route.WAIT:
            prio = outcome.handoff.priority if outcome is not None else RETURN_PRIORITY
            await session.set_variable("SPILLWAY_PRIO", str(max(1, prio)))
        if outcome is None:
            await self.sink.outcome(live.context.call_id, CallOutcome.FAILED)
        # What the dialplan plays first (always set: its own default is the lost bot's words).
        await session.set_variable("SPILLWAY_SAY", "&".join(decision.say))
        await self._route(session, live, decision)

    async def callback(self, session: AgiSession) -> None:
        call_id = session.request.unique_id
        live = self.calls.get(call_id)
        if live is None or live.last_route is not Route.CALLBACK:
            # Not a call this controller sent to its callback step: anyone who can
            # reach the FastAGI port could otherwise order a call to any number.
            log.warning(
                "call %s: callback refused: this controller did not route the call there",
                call_id,
            )
            await self._refuse_callback(call_id, "callback refused: not routed there by us")
            return
        phone = (await session.get_variable("SPILLWAY_CALLER")) or live.context.caller
        outcome = live.outcome
        context: dict[str, Any] = {"channel": live.context.channel}
        if outcome is not None:
            context.update(intent=outcome.handoff.intent, summary=outcome.handoff.summary)
        request = NewRequest(
            phone=phone,
            source=RequestSource.BOT if outcome is not None else RequestSource.MENU,
            reason=outcome.handoff.intent if outcome is not None else "queue overflow",
            call_id=live.context.call_id,
            context=context,
            # The DTMF menu's plain-callback key (the dialplan's callback step).
            traditional=menu_asks_plain(await session.get_variable("SPILLWAY_TIMING")),
        )
        recorded, promise = await self.store.run(self._record_callback, request)
        live.last_route = None  # one request per visit to the callback step
        if not recorded.will_be_called:
            # Kept for an admin to see, but this caller cannot be called back on
            # that number: no goodbye, back to the queue.
            log.warning(
                "call %s: callback request %d not callable (%s); back to the queue",
                call_id,
                recorded.id,
                recorded.problem,
            )
            await self._refuse_callback(call_id, f"callback number: {recorded.problem}")
            if outcome is not None:
                # The bot said callback; the caller is back in the queue for a person.
                await self.sink.outcome(call_id, CallOutcome.HANDOFF)
            return
        await session.set_variable("SPILLWAY_CALLBACK_ID", str(recorded.id))
        # The caller hears when: after the DTMF menu's key, and after a bot that routed
        # here (the DTMF menu bot's key 3), which could not say it (the request is
        # recorded only now). The speech bot records its own request and says it itself.
        now = self.clock()
        said = spoken(promise, self.rules, now=now)
        fixed = fixed_key(promise, self.rules, now=now)
        for name, value in promise_variables(said, fixed).items():
            await session.set_variable(name, value)
        log.info(
            "call %s: callback request %d promised %s",
            call_id,
            recorded.id,
            f"{said.hour_file} {said.day_file}" if said else fixed,
        )
        await self.sink.stage(
            live.context.call_id, CallStage.CALLBACK, request_id=recorded.id, merged=recorded.merged
        )
        # The request's id also when it joined one already open for the number.
        await self.sink.outcome(live.context.call_id, CallOutcome.CALLBACK, callback_id=recorded.id)

    async def agent(self, session: AgiSession) -> None:
        """Queue() put the caller through to an agent (its AGI argument, which the dialplan
        names only after a hand-over that left a callback open): that callback is served
        by this call and closed, so the dialler never rings them about it. A caller who
        leaves the queue first never gets here, and keeps the callback."""
        call_id = session.request.unique_id
        live = self.calls.get(call_id)
        request_id = live.held_callback if live is not None else None
        if live is None or request_id is None:
            # Not a hand-over this controller knows of (restarted since, say): the
            # callback stands; a call too many beats a promise broken.
            log.info("call %s: agent connected; no callback of this call to close", call_id)
            return
        closed = await self.store.run(self._close_served, request_id)
        live.held_callback = None
        await self.sink.event(
            CallEvent(call_id, CallEventKind.AGENT, {"callback_id": request_id, "closed": closed})
        )
        log.info(
            "call %s: agent connected; callback request %d %s",
            call_id,
            request_id,
            "closed, served by this call" if closed else "was no longer pending: left as it is",
        )

    def _close_served(self, request_id: int) -> bool:
        """Worker thread: the held callback closed as served by the inbound call."""
        with self.store.store.transaction() as tx:
            return requests.close_served(tx, request_id, now=self.clock())

    async def _refuse_callback(self, call_id: str, reason: str) -> None:
        """No callback id: the dialplan sends the caller back to the queue."""
        await self.sink.event(
            CallEvent(call_id, CallEventKind.ROUTE, {"route": Route.WAIT.value, "reason": reason})
        )

    def _record_callback(self, request: NewRequest) -> tuple[Recorded, Promise | None]:
        """Worker thread: the request, through the scheduler's one owner of requests, and
        the promise it carries as stored (None: it will not be called)."""
        zone = self.settings.callbacks.default_timezone
        with self.store.store.transaction() as tx:
            recorded = intake.record(
                tx,
                request,
                region=self.settings.shop.country,
                now=self.clock(),
                default_timezone=zone,
                allowed_countries=self.settings.callback_countries(),
                hash_key=self.settings.gdpr.hash_key_bytes(),
                timing=TimingConfig.from_settings(self.settings),
            )
            if not recorded.will_be_called:
                return recorded, None
            promise = stored_promise(
                tx,
                self.rules,
                recorded.id,
                default_timezone=zone,
                policy_timing=TimingConfig.from_settings(self.settings).policy,
            )
            return recorded, promise

    async def hangup(self, session: AgiSession) -> None:
        call_id = session.request.unique_id
        live = self.calls.pop(call_id, None)
        self.bot_calls.discard(call_id)
        if live is not None and live.context.media_id:
            self._by_media.pop(live.context.media_id, None)
        stage = session.request.args[0] if session.request.args else ""
        await self.sink.event(CallEvent(call_id, CallEventKind.HANGUP, {"dialplan_stage": stage}))
        await self.sink.end(call_id)

    # -- media ---------------------------------------------------------------
    def call_for_media(self, media_id: str) -> LiveCall | None:
        call_id = self._by_media.get(media_id, media_id)
        return self.calls.get(call_id)

    async def on_media(self, media: MediaSession) -> None:
        """The media server's handler: the session's id is our SPILLWAY_MEDIA_ID."""
        await self.run_media(media, media.call_id)

    async def run_media(self, media: Any, media_id: str) -> None:
        """Run the bot on one media connection (any transport)."""
        live = self.call_for_media(media_id)
        if live is None or self.bot is None:
            log.warning("media %s: no call waits for it; closing", media_id[:40])
            await media.hangup()
            return
        live.bot_started_at = time.monotonic()
        self.bot_started.append(live.context)

        def record(outcome: BotOutcome | None) -> None:
            live.outcome = outcome

        await run_bot_call(
            self.bot,
            media,
            live.context,
            self.sink,
            time_limit_s=self.bot_time_limit_s,
            record=record,
        )


@contextlib.asynccontextmanager
async def running_controller(
    settings: Settings,
    bot: Bot | None,
    *,
    store: Store | None = None,
    bot_time_limit_s: float = 600.0,
) -> AsyncIterator[tuple[CallController, FastAgiServer, MediaServer]]:
    """FastAGI and media listeners with one controller, for `spillway serve` and tests.

    ``bot`` None (`spillway serve` without its speech models): no call is routed to a
    bot, and the DTMF menu offers keys 2 and 3 only."""
    own_store = store is None
    settings = as_worker(settings)  # listen where this worker's pbx.workers entry says
    worker = own_worker(settings).name
    db = store if store is not None else open_store(settings.storage)
    astore = AsyncStore(db)
    media_up = False
    call_log = CallLog(astore, worker=worker)
    controller = CallController(
        settings,
        astore,
        call_log,
        bot,
        bot_ready=lambda: media_up,
        bot_time_limit_s=bot_time_limit_s,
    )
    fastagi = FastAgiServer(
        max_connections=settings.controller.max_connections,
        max_per_peer=settings.controller.max_connections_per_peer,
        reply_timeout_s=settings.controller.agi_reply_timeout_s,
    )
    controller.install(fastagi)
    media = MediaServer(MediaServerConfig.from_settings(settings.controller), controller.on_media)
    try:
        # Only this worker's: the other workers' open calls are live.
        stale = await astore.run(close_stale_calls, db, time.time(), worker)
        if stale:
            log.warning("closed %d call record(s) left open by a previous run", len(stale))
        await fastagi.start(settings.controller.bind_host, settings.controller.fastagi_port)
        await media.start()
        media_up = True
        yield controller, fastagi, media
    finally:
        media_up = False
        await media.stop()
        await fastagi.close()
        await call_log.flush()
        astore.close()
        if own_store:
            db.close()
