"""voiceglimmer as a Wyoming ``handle`` service: Home Assistant's conversation agent.

A Home Assistant voice pipeline sends each ``transcript`` (its own wake word
and speech-to-text ran first) and speaks the ``handled`` text with its own
text-to-speech. The reply text is the one ``chat --json`` gives; what is lost
is the pacing: Home Assistant says a savoring script straight through, without
its silences, and "stop" is Home Assistant's own. Each conversation is kept by
the ``conversation_id`` in the transcript's context when there is one, else
one conversation for everything Home Assistant sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from wyoming.asr import Transcript
from wyoming.event import Event
from wyoming.handle import Handled
from wyoming.info import Attribution, Describe, HandleModel, HandleProgram, Info
from wyoming.server import AsyncEventHandler

from voiceglimmer import __version__
from voiceglimmer.dialog.assistant import Conversation
from voiceglimmer.events import Handled as Turn
from voiceglimmer.events import Utterance
from voiceglimmer.network.rooms import DialogThread

#: The room name handle-mode turns are reported under.
ROOM = "home-assistant"


def info() -> Info:
    """What the service says it is, for Home Assistant's "add integration"."""
    made = Attribution(name="voiceglimmer", url="https://github.com/voiceglimmer")
    model = HandleModel(
        name="glimmers",
        attribution=made,
        installed=True,
        description="Notice, keep and savor glimmers",
        version=__version__,
        languages=["en"],
    )
    return Info(
        handle=[
            HandleProgram(
                name="voiceglimmer",
                attribution=made,
                installed=True,
                description="An offline companion for the glimmer practice",
                version=__version__,
                models=[model],
            )
        ]
    )


class HandleService(AsyncEventHandler):
    """One client connection (Home Assistant opens one per pipeline run)."""

    def __init__(
        self,
        dialog: DialogThread,
        conversations: dict[str, Conversation],
        report: Callable[[Utterance, Turn], None],
        cap: Callable[[str], str],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._dialog = dialog
        self._conversations = conversations
        self._report = report
        self._cap = cap

    async def handle_event(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self.write_event(info().event())
            return True
        if not Transcript.is_type(event.type):
            return True  # audio, pings and the like: not for a conversation agent
        said = Transcript.from_event(event)
        context = said.context if isinstance(said.context, dict) else {}
        key = str(context.get("conversation_id") or ROOM)
        conversation = self._conversations.setdefault(key, Conversation())
        utterance = Utterance(self._cap(str(said.text or "")), source="voice")
        turn = await asyncio.to_thread(self._dialog.handle, conversation, utterance)
        self._report(utterance, turn)
        await self.write_event(
            Handled(text=turn.reply.text, context={"conversation_id": key}).event()
        )
        return True


__all__ = ["ROOM", "HandleService", "info"]
