"""TEST DOUBLE: a recogniser that replays known transcripts for known audio.

No English Vosk model can be installed on the development and CI machines, so
the speech loop's English conversations are tested with this stand-in for
the recognition stage. It is used only in tests, never in the product.

It is still driven by the audio: an energy detector finds where speech is
and where it ends (after ``ENDPOINT_SILENCE`` of quiet, like Vosk's
trailing-silence endpoint rule), and only then are the words of the script
lines spoken in that stretch returned. Silence yields nothing; a "stop"
that is not in the audio is never heard; a request in the same breath as the
wake phrase is found because the loop hands over the audio after the phrase.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from voiceglimmer.voice.asr import Transcript, Word
from voiceglimmer.voice.audio import AudioChunk
from voiceglimmer.voice.loop import Loop, Settings
from voiceglimmer.voice.wake import STOP_PHRASES

ENDPOINT_SILENCE = 0.5
LEVEL = 300.0  # RMS of int16 samples above which a 20 ms block counts as speech


@dataclass(frozen=True)
class Line:
    """One scripted phrase and where it lies in the test audio (stream seconds)."""

    text: str
    start: float
    end: float


@dataclass
class Script:
    """The scripted lines, shared by the doubles of one conversation.

    With live audio the speech starts somewhere after the stream opens, so
    the script is slid once, at the first loud block, to where speech began.
    From a file the first loud block is where the first line starts anyway.
    """

    lines: list[Line]
    shift: float | None = None

    def observe(self, chunk: AudioChunk) -> None:
        if self.shift is None and self.lines and _loud(chunk):
            self.shift = chunk.start - self.lines[0].start

    def __iter__(self):
        d = self.shift or 0.0
        return iter([Line(ln.text, ln.start + d, ln.end + d) for ln in self.lines])


def _script(script: Script | list[Line]) -> Script:
    return script if isinstance(script, Script) else Script(list(script))


def _loud(chunk: AudioChunk) -> bool:
    samples = np.frombuffer(chunk.pcm, dtype=np.int16).astype(np.float64)
    return bool(samples.size) and float(np.sqrt(np.mean(samples**2))) > LEVEL


@dataclass
class _Voice:
    """Tracks one stretch of speech by energy."""

    began: float | None = None
    last_loud: float = 0.0

    def feed(self, chunk: AudioChunk) -> tuple[float, float] | None:
        """Returns (start, end) of a stretch once enough silence has followed it."""
        end = chunk.start + chunk.duration
        if _loud(chunk):
            if self.began is None:
                self.began = chunk.start
            self.last_loud = end
        elif self.began is not None and end - self.last_loud >= ENDPOINT_SILENCE:
            stretch = (self.began, self.last_loud)
            self.began = None
            return stretch
        return None


def _words(lines: list[Line]) -> tuple[Word, ...]:
    words = []
    for line in lines:
        parts = line.text.split()
        step = (line.end - line.start) / max(1, len(parts))
        for i, w in enumerate(parts):
            words.append(Word(w, line.start + i * step, line.start + (i + 1) * step, 0.93))
    return tuple(words)


@dataclass
class ReplayRecognizer:
    """Recognition-stage test double: words from ``script``, timing from the audio."""

    script: Script | list[Line]
    _voice: _Voice = field(default_factory=_Voice)
    _from: float = 0.0
    _now: float = 0.0
    cpu_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.script = _script(self.script)

    def _lines(self, start: float, end: float) -> list[Line]:
        """Script lines spoken inside [start, end] and after the last reset."""
        mid = [ln for ln in self.script if ln.start < end + 0.05 and ln.end > start - 0.05]
        return [ln for ln in mid if (ln.start + ln.end) / 2 >= self._from]

    def accept(self, chunk: AudioChunk) -> Transcript | None:
        self.script.observe(chunk)
        self._now = chunk.start + chunk.duration
        stretch = self._voice.feed(chunk)
        if stretch is None:
            return None
        lines = self._lines(*stretch)
        return Transcript(" ".join(ln.text for ln in lines), True, _words(lines), self._now)

    def partial(self) -> str:
        if self._voice.began is None:
            return ""
        lines = self._lines(self._voice.began, self._now)
        heard = [ln for ln in lines if ln.start <= self._now]
        return " ".join(ln.text for ln in heard)

    def flush(self) -> Transcript | None:
        if self._voice.began is None:
            return None
        lines = self._lines(self._voice.began, self._voice.last_loud)
        self._voice = _Voice()
        return Transcript(" ".join(ln.text for ln in lines), True, _words(lines), self._now)

    def reset(self, at: float) -> None:
        self._voice = _Voice()
        self._from = at


@dataclass
class ReplayDetector:
    """Wake/stop detector test double: fires when a scripted phrase has been heard."""

    script: Script | list[Line]
    phrases: tuple[str, ...]
    _heard_loud: list[float] = field(default_factory=list)
    _fired: set[int] = field(default_factory=set)
    _from: float = 0.0

    def __post_init__(self) -> None:
        self.script = _script(self.script)

    def accept(self, chunk: AudioChunk) -> float | None:
        self.script.observe(chunk)
        if _loud(chunk):
            self._heard_loud.append(chunk.start)
        now = chunk.start + chunk.duration
        for i, line in enumerate(self.script):
            if i in self._fired or line.text.lower() not in self.phrases:
                continue
            if line.start < self._from or now < line.end + 0.1:
                continue
            # only if the phrase really is in the audio we were given
            if any(line.start - 0.05 <= t <= line.end for t in self._heard_loud):
                self._fired.add(i)
                return line.end
        return None

    def reset(self, at: float) -> None:
        self._from = at
        self._heard_loud.clear()


WAKE = "hey glimmer"


def replay_loop(lines: list[Line], *, wake: bool = True, **parts) -> Loop:
    """The real loop with the recognition stage (and wake/stop) replaced by the
    doubles above, sharing one script; ``parts`` are the Loop's other stages."""
    script = Script(lines)
    settings = parts.pop("settings", None) or Settings(wake_phrase=WAKE if wake else None)
    return Loop(
        recognizer=ReplayRecognizer(script),
        wake=ReplayDetector(script, (WAKE,)) if wake else None,
        stop=ReplayDetector(script, STOP_PHRASES),
        settings=settings,
        **parts,
    )
