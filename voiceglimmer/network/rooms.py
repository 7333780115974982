"""One assistant for a home of rooms: one journal, one conversation per room.

Every room's turns run one at a time on one thread, the dialog thread. The
journal's SQLite connection belongs to the thread that opened it, a turn takes
milliseconds, and turns taken in order never race on the journal; so a room
waits at most for another room's turn, never for its recognition or speech,
which run on the room's own thread. Each room holds its own
:class:`~voiceglimmer.dialog.assistant.Conversation`, swapped in for its turn,
so a follow-up in the kitchen is never taken as an answer in the bedroom.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from voiceglimmer.dialog.assistant import Conversation
from voiceglimmer.events import Handled, Utterance

if TYPE_CHECKING:
    from voiceglimmer.dialog.assistant import Assistant

T = TypeVar("T")

#: Where reminders are said when the person has not chosen a room.
ALL_ROOMS = "all"


class DialogThread:
    """The one thread every room's turn runs on (see the module's docstring)."""

    def __init__(self, make_assistant: Callable[[], Assistant]) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="dialog")
        self.assistant = self._executor.submit(make_assistant).result()

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the dialog thread and wait for what it returns (or raises)."""
        return self._executor.submit(fn).result()

    def handle(self, conversation: Conversation, utterance: Utterance) -> Handled:
        """One turn of ``conversation``."""

        def turn() -> Handled:
            self.assistant.conversation = conversation
            return self.assistant.handle(utterance)

        return self.call(turn)

    def close(self) -> None:
        self._executor.shutdown(wait=True)


@dataclass
class Announcer:
    """Hands each room the reminders meant for it: those of the room the person chose
    (``target``), or every room's when they chose all or that room is not connected."""

    dialog: DialogThread
    target: str = ALL_ROOMS
    _queues: dict[str, deque[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def join(self, room: str) -> None:
        with self._lock:
            self._queues.setdefault(room, deque())

    def leave(self, room: str) -> None:
        with self._lock:
            self._queues.pop(room, None)

    def collect(self, room: str) -> list[str]:
        """Due reminders for ``room`` (asked by each room's loop between utterances)."""
        due = self.dialog.call(self.dialog.assistant.announcements)
        with self._lock:
            if due:
                rooms = [self.target] if self.target in self._queues else list(self._queues)
                for name in rooms:
                    self._queues[name].extend(due)
            queue = self._queues.get(room)
            if not queue:
                return []
            said = list(queue)
            queue.clear()
            return said


@dataclass
class RoomDialog:
    """The assistant as one room hears it: its own conversation, its share of reminders."""

    room: str
    dialog: DialogThread
    announcer: Announcer
    conversation: Conversation = field(default_factory=Conversation)

    def handle(self, utterance: Utterance) -> Handled:
        return self.dialog.handle(self.conversation, utterance)

    def announcements(self) -> list[str]:
        return self.announcer.collect(self.room)


__all__ = ["ALL_ROOMS", "Announcer", "DialogThread", "RoomDialog"]
