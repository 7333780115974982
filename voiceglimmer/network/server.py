"""``voiceglimmer serve``'s engine room: the handle service and every satellite's room.

One asyncio loop owns the network: the Wyoming service listening on ``uri``
(handle mode) and a :class:`~voiceglimmer.network.satellite.SatelliteLink`
per satellite. Each room's speech loop runs on a thread of its own with its
own recogniser (recognition is per room; the model is shared), and every
turn on the one dialog thread (see ``rooms``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from voiceglimmer.dialog.assistant import Conversation
from voiceglimmer.events import Final, Handled, LoopEvent, Notice, Utterance, Wake
from voiceglimmer.network.handle import ROOM, HandleService
from voiceglimmer.network.rooms import Announcer, DialogThread, RoomDialog
from voiceglimmer.network.satellite import (
    NetworkSink,
    NetworkSource,
    SatelliteAddress,
    SatelliteLink,
)
from voiceglimmer.voice.audio import Speech

if TYPE_CHECKING:
    from wyoming.event import Event

    from voiceglimmer.events import Pace
    from voiceglimmer.voice.asr import Recognizer
    from voiceglimmer.voice.loop import Dialog, Settings
    from voiceglimmer.voice.tts import SpeechEngine
    from voiceglimmer.voice.wake import Detector

#: A room's recogniser, wake detector and stop detector, made fresh for each room
#: (asked with the room's name).
Listeners = Callable[[str], "tuple[Recognizer, Detector | None, Detector | None]"]


class SharedVoice:
    """One voice for every room, one render at a time: a speech engine is not promised
    to be safe to call from several threads (pyttsx3's is not)."""

    def __init__(self, engine: SpeechEngine) -> None:
        self.engine = engine
        self.name = getattr(engine, "name", "speech")
        self.rate = engine.rate
        self.phrase_first = bool(getattr(engine, "phrase_first", False))
        self._lock = threading.Lock()

    def synthesize(self, text: str, pace: Pace = "normal") -> Speech:
        with self._lock:
            return self.engine.synthesize(text, pace)


@dataclass
class Server:
    """The handle service on ``uri`` and a room for each satellite."""

    dialog: DialogThread
    uri: str
    #: Reports each room's events: (room, event).
    emit: Callable[[str, LoopEvent], None]
    #: Reports each handled transcript of handle mode: (room, utterance, turn).
    report: Callable[[str, Utterance, Handled], None]
    #: Cuts an over-long transcript to what a turn reads (``chat.cap_utterance``).
    cap: Callable[[str], str]
    satellites: Sequence[SatelliteAddress] = ()
    listeners: Listeners | None = None
    voice: SpeechEngine | None = None
    settings: Settings | None = None
    #: Wraps a room's dialog (the CLI caps over-long transcripts and reports the cut).
    wrap: Callable[[Dialog, Callable[[LoopEvent], None]], Dialog] = lambda d, _: d
    reminders: str = "all"
    stall_seconds: float | None = None
    links: list[SatelliteLink] = field(default_factory=list, init=False)
    _rooms: dict[str, RoomDialog] = field(default_factory=dict, init=False)
    _conversations: dict[str, Conversation] = field(default_factory=dict, init=False)
    _announcer: Announcer = field(init=False)

    def __post_init__(self) -> None:
        self._announcer = Announcer(self.dialog, self.reminders)
        if self.satellites and (self.listeners is None or self.voice is None):
            raise ValueError("satellites need listeners and a voice")
        for address in self.satellites:
            link = SatelliteLink(address, self._converse, self.emit, self.voice.rate)  # type: ignore[union-attr]
            if self.stall_seconds is not None:
                link.stall_seconds = self.stall_seconds
            self.links.append(link)

    def _room(self, name: str) -> RoomDialog:
        if name not in self._rooms:
            self._rooms[name] = RoomDialog(name, self.dialog, self._announcer)
        return self._rooms[name]

    def _converse(
        self, room: str, source: NetworkSource, sink: NetworkSink, send: Callable[[Event], None]
    ) -> None:
        """One room's speech loop, until its link ends (on the room's own thread)."""
        from wyoming.asr import Transcript
        from wyoming.wake import Detection

        from voiceglimmer.voice.loop import Loop, Settings

        assert self.listeners is not None and self.voice is not None
        settings = self.settings or Settings()
        recognizer, wake, stop = self.listeners(room)

        def emit(event: LoopEvent) -> None:
            self.emit(room, event)
            # the satellite's own lights and sounds follow the turn
            if isinstance(event, Wake):
                send(Detection(name=settings.wake_phrase).event())
            elif isinstance(event, Final):
                send(Transcript(text=event.text).event())

        self._announcer.join(room)
        try:
            loop = Loop(
                source=source,
                sink=sink,
                assistant=self.wrap(self._room(room), emit),
                recognizer=recognizer,
                engine=self.voice,
                emit=emit,
                wake=wake,
                stop=stop,
                settings=settings,
            )
            if stop is None:
                emit(Notice(0.0, 'This model has no word for "stop"; a script runs to its end.'))
            loop.run()
        finally:
            self._announcer.leave(room)

    def _reported(self, utterance: Utterance, turn: Handled) -> None:
        self.report(ROOM, utterance, turn)

    async def run(self, stopping: asyncio.Event, ready: Callable[[], None] = lambda: None) -> None:
        """Serve until ``stopping`` is set. Raises OSError if ``uri`` cannot be listened on."""
        from wyoming.server import AsyncServer

        server = AsyncServer.from_uri(self.uri)
        handler = partial(HandleService, self.dialog, self._conversations, self._reported, self.cap)
        await server.start(handler)
        ready()
        try:
            await asyncio.gather(*(link.run(stopping) for link in self.links), stopping.wait())
        finally:
            await server.stop()


__all__ = ["Listeners", "Server", "SharedVoice"]
