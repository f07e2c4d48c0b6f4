"""What the SMS settings and the outbox add up to for an admin: OK, WARN or a failure.

`spillway doctor` (cli/doctor.py) and the console's Health page (web/health.py) both show
the SMS gateway's state; :func:`sms_verdict` decides it once, for both, from the settings
and the outbox's counts (:func:`bot.backends.sms.outbox_counts`). Pure: no store, no words.

- No gateway and SMS not turned off: the bot offers callers no text message
  (:meth:`~spillway.settings.SmsSettings.reaches_callers`), so none is promised in vain,
  but the shop loses them: a warning, whose fix is the gateway setting.
- ``sms.enabled: false``: off on purpose, nothing to warn about.
- Messages waiting with no gateway to send them (queued before, or by hand): a failure,
  whatever ``sms.enabled`` says.
- Messages the gateway refused for good stay in the outbox as failed: a warning, whose
  fix is to look at them (`spillway sms outbox --status failed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from spillway.settings import SmsSettings

__all__ = ["SmsState", "SmsVerdict", "sms_verdict"]


class SmsState(StrEnum):
    """How the settings leave text messages (the value names the words: ``sms_<state>``)."""

    SENDING = "sending"  # a gateway sends them
    OFF = "off"  # sms.enabled: false: none, on purpose
    UNSET = "unset"  # no gateway, and SMS not turned off


@dataclass(frozen=True, slots=True)
class SmsVerdict:
    state: SmsState
    stuck: bool  # messages waiting with no gateway to send them
    failed: int  # messages the gateway refused for good, still in the outbox

    @property
    def ok(self) -> bool:
        return not self.stuck

    @property
    def warning(self) -> bool:
        """Passes, but the admin should act on it."""
        return self.ok and (self.state is SmsState.UNSET or self.failed > 0)

    @property
    def needs_gateway(self) -> bool:
        """The fix is the gateway setting (else, with failed messages, to look at them)."""
        return self.stuck or self.state is SmsState.UNSET


def sms_verdict(sms: SmsSettings, counts: Mapping[str, int]) -> SmsVerdict:
    """The state of ``sms`` with the outbox's ``counts`` per status."""
    if not sms.enabled:
        state = SmsState.OFF
    elif sms.gateway_url is None:
        state = SmsState.UNSET
    else:
        state = SmsState.SENDING
    waiting = counts["pending"] + counts["sending"]
    return SmsVerdict(state, waiting > 0 and sms.gateway_url is None, counts["failed"])
