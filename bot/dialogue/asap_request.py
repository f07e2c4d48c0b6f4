"""A callback asked for "as soon as possible" with the request itself.

"Ring mig op hurtigst muligt", "call me back as soon as possible": no window, and
not "whenever suits the model" either (the model would wait for the hour the caller
is "likely to be free"), but a plain callback: the first moment within the calling
hours (:mod:`bot.dialogue.plain_callback`). Said with the request, the caller is not
asked when again: the number is read back with "as soon as we can, within our
calling hours" for a yes, and the request, once recorded, is made plain.

A mixin of :class:`bot.dialogue.callbacks.CallbackSteps`, kept apart because
callbacks.py is near its size limit.
"""

from __future__ import annotations

from bot.dialogue.plain_callback import asks_plain_callback
from bot.dialogue.prompts import say
from bot.dialogue.steps import DialogueSteps
from bot.dialogue.time_phrases import CallbackWindow


class AsapSteps(DialogueSteps):
    """Remembers "as soon as possible" said with the request, and acts on it once the
    request is recorded."""

    # "As soon as possible" (or "a normal callback") was said with the request.
    _asap_asked: bool = False

    def _take_asap(self, said: str) -> None:
        """``said`` (the request's words) asks for a plain callback and names no time:
        kept as no preference, read back as "as soon as we can, within our calling
        hours", and the request made plain when it is recorded."""
        if self._callback_window is not None or not asks_plain_callback(said):
            return
        words = say("callback_any_words")
        self._callback_window = CallbackWindow(None, None, words, any_time=True)
        self._asap_asked = True

    async def _made_plain(self) -> bool:
        """The request just recorded made plain, if "as soon as possible" was said with it;
        whether it changed (not when it was plain already, or nothing was asked)."""
        asked, self._asap_asked = self._asap_asked, False
        if not asked or self.callback_id is None:
            return False
        return await self.backends.callbacks.plain_callback(self.callback_id)
