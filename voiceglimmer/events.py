"""The plain data that flows between stages: utterances in, replies out.

Every stage speaks in these dataclasses so a typed chat, a WAV file and a live
microphone all reach the plugins in the same shape, and so the voice layer can
pace a reply (speak this, then be silent for that long) without knowing which
plugin wrote it.

Nearly all of this module's import time is its twenty dataclasses: at import
``@dataclass`` writes and compiles each one's ``__init__``, ``__repr__`` and
``__eq__`` (frozen ones also get ``__setattr__``, ``__delattr__`` and
``__hash__``), over half a millisecond a class on a small machine, and
every start of voiceglimmer pays for it. Each class has a docstring, because
without one ``@dataclass`` also builds an ``inspect.signature`` of the class
to write one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from voiceglimmer.dialog.assistant import Turn

#: How a glimmer or an utterance came in: typed, spoken, or read from an export.
GlimmerSource = Literal["typed", "voice", "imported"]
Pace = Literal["normal", "slow"]


@dataclass(frozen=True)
class Utterance:
    """One thing the person said or typed, as text."""

    text: str
    source: GlimmerSource = "typed"
    confidence: float | None = None


@dataclass(frozen=True)
class Segment:
    """A piece of a reply: words to say, then silence to leave after them.

    Savoring scripts are mostly silence; keeping the pause beside the words
    lets a speaker honour it and lets text mode show it.
    """

    text: str = ""
    pause: float = 0.0
    pace: Pace = "normal"


@dataclass
class FollowUp:
    """A question the handler is waiting on, and who gets the answer.

    ``kind="yes_no"`` answers are understood by the core (yes, sure, no
    thanks ...); anything else falls through to normal routing so the person
    is never trapped in a question. ``kind="text"`` takes the next utterance
    verbatim, unless it is a cancel word.
    """

    on_answer: Callable[[Turn], Reply | str | None]
    kind: Literal["yes_no", "text"] = "yes_no"
    #: Said when a yes/no question gets something that is neither.
    name: str = ""


@dataclass
class Reply:
    """What the assistant answers to one utterance."""

    segments: list[Segment] = field(default_factory=list)
    follow_up: FollowUp | None = None
    glimmer_id: int | None = None
    #: Free-form facts for --json and for tests (counts, dates, lengths).
    data: dict[str, Any] = field(default_factory=dict)
    #: Told by a voice front end how many seconds were actually spoken and
    #: whether the person cut it short (``completed=False``).
    on_finished: Callable[[float, bool], None] | None = None

    @classmethod
    def say(cls, *lines: str, **kwargs: Any) -> Reply:
        """A reply of plain sentences spoken at the ordinary pace."""
        return cls(segments=[Segment(text=line) for line in lines if line], **kwargs)

    @property
    def text(self) -> str:
        """The words alone, for a terminal or a JSON field; pauses are left out."""
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def duration_estimate(self) -> float:
        """Seconds the reply takes to say aloud, pauses included.

        Speaking rates follow typical text-to-speech settings: about 165 words
        a minute for ordinary replies and 120 for slow, savoring speech.
        """
        total = 0.0
        for s in self.segments:
            words = len(s.text.split())
            total += words / (120 if s.pace == "slow" else 165) * 60 + s.pause
        return total

    def add(self, *lines: str) -> Reply:
        """Append plain sentences, spoken at the ordinary pace (e.g. a closing question)."""
        self.segments.extend(Segment(text=line) for line in lines if line)
        return self


@dataclass(frozen=True)
class Glimmer:
    """One saved glimmer, as the journal returns it."""

    id: int
    created_at: datetime
    text: str
    source: GlimmerSource
    savor_count: int = 0
    savored_seconds: float = 0.0


@dataclass(frozen=True)
class Savoring:
    """One time a glimmer was savored."""

    id: int
    glimmer_id: int
    started_at: datetime
    seconds: float
    length: str
    completed: bool


@dataclass(frozen=True)
class Handled:
    """The outcome of one turn, as a front end reports it (see ``--json``)."""

    utterance: Utterance
    reply: Reply
    plugin: str | None = None
    intent: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    #: Which understanding stage decided: "crisis", "distress", "answer", "template",
    #: "robust", "clarify" or "fallback" (see voiceglimmer.dialog.pipeline).
    stage: str | None = None
    #: How sure that stage was, from 0 to 1.
    confidence: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.utterance.text,
            "plugin": self.plugin,
            "intent": self.intent,
            "slots": self.slots,
            "stage": self.stage,
            "confidence": self.confidence,
            "reply": self.reply.text,
            "glimmer_id": self.reply.glimmer_id,
            "awaiting": self.reply.follow_up.kind if self.reply.follow_up else None,
            "segments": [
                {"text": s.text, "pause": s.pause, "pace": s.pace} for s in self.reply.segments
            ],
            **({"data": self.reply.data} if self.reply.data else {}),
        }


# -- the speech loop's events (``voiceglimmer run --json`` prints these) ---------


@dataclass(frozen=True)
class LoopEvent:
    """Base of everything the speech loop reports; ``at`` is stream time in seconds."""

    at: float
    kind: ClassVar[str] = "event"

    def as_json(self) -> dict[str, Any]:
        fields = {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}
        return {"event": self.kind, **fields}


@dataclass(frozen=True)
class Ready(LoopEvent):
    """Model loaded, stages assembled; listening starts."""

    kind: ClassVar[str] = "ready"
    model: str
    load_seconds: float
    wake_phrase: str | None


@dataclass(frozen=True)
class Wake(LoopEvent):
    """The wake phrase was heard; the assistant is listening."""

    kind: ClassVar[str] = "wake"


@dataclass(frozen=True)
class Partial(LoopEvent):
    """Words recognised so far in an utterance still being spoken."""

    kind: ClassVar[str] = "partial"
    text: str


@dataclass(frozen=True)
class Final(LoopEvent):
    """The recogniser's last word on one utterance."""

    kind: ClassVar[str] = "final"
    text: str
    confidence: float | None
    #: Stream time the last word ended (None if the recogniser gave no timings).
    speech_end: float | None


@dataclass(frozen=True)
class Understood(LoopEvent):
    """The intent (and plugin) an utterance was routed to, with its slots."""

    kind: ClassVar[str] = "intent"
    plugin: str | None
    intent: str | None
    slots: dict[str, str]
    #: The understanding stage that decided, and how sure it was (see ``Handled``).
    stage: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class Said(LoopEvent):
    """The reply, as text; it is spoken next."""

    kind: ClassVar[str] = "reply"

    text: str
    glimmer_id: int | None


@dataclass(frozen=True)
class Announced(LoopEvent):
    """Something said unprompted, such as a reminder the person set."""

    kind: ClassVar[str] = "announcement"
    text: str


@dataclass(frozen=True)
class Spoken(LoopEvent):
    """A reply has finished playing, or was stopped part way."""

    kind: ClassVar[str] = "spoken"
    seconds: float
    stopped: bool
    #: Wall seconds from the end of the utterance being recognised to the first
    #: reply audio reaching the speaker (handling plus first-sentence synthesis).
    first_audio: float | None
    #: Stream seconds the endpointer waited after the last word.
    endpoint_wait: float | None


@dataclass(frozen=True)
class Sleep(LoopEvent):
    """No more follow-ups expected; waiting for the wake phrase again."""

    kind: ClassVar[str] = "sleep"


@dataclass(frozen=True)
class Notice(LoopEvent):
    """Something the person should know that is not a reply: a cut-short file, a failed voice."""

    kind: ClassVar[str] = "notice"
    message: str


@dataclass(frozen=True)
class RoomStatus(LoopEvent):
    """A room's link to voiceglimmer serve: connected, lost (and why), retrying."""

    kind: ClassVar[str] = "status"
    state: str
    detail: str = ""


@dataclass(frozen=True)
class Ended(LoopEvent):
    """The loop stopped: why, and how much audio it heard and at what cost."""

    kind: ClassVar[str] = "ended"
    reason: str
    audio_seconds: float
    recognition_cpu_seconds: float
    utterances: int
