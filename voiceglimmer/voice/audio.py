"""The shapes audio takes between stages, and the two interfaces at the ends.

Recognition wants 16 kHz mono 16-bit PCM, so every source (microphone, WAV
file, stdin) delivers exactly that. A speaker takes 16-bit mono PCM at the
speech engine's own rate. Both ends are blocking and chunked: the loop writes
a slice of speech, then reads the same span of microphone audio, which keeps
a live device in real time and a file in "virtual" time with one code path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

RATE = 16_000
SAMPLE_WIDTH = 2
#: 20 ms blocks: what a source hands out when nothing asks for another size.
BLOCK_FRAMES = 320
#: What the speech loop reads at a time (100 ms), as a bare Vosk program does.
#: Vosk decodes in its own steps of a few frames whatever it is fed, so smaller
#: reads only add calls: with 20 ms reads the loop spent 5% more CPU in
#: ``AcceptWaveform`` and asked for five times as many partial results, and
#: heard no sooner (endpoints come out within the same 100 ms; see
#: ``benchmarks.floor``). It is also the slice "stop" is listened for in.
LISTEN_FRAMES = 1600


class AudioError(RuntimeError):
    """An audio problem worded for the person (bad file, no device), with a way out."""


@dataclass(frozen=True)
class AudioChunk:
    """A slice of 16-bit little-endian mono PCM."""

    pcm: bytes
    rate: int = RATE
    #: Seconds from the start of the stream to the start of this chunk.
    start: float = 0.0

    @property
    def frames(self) -> int:
        return len(self.pcm) // SAMPLE_WIDTH

    @property
    def duration(self) -> float:
        return self.frames / self.rate


@dataclass(frozen=True)
class Speech:
    """Rendered speech: 16-bit mono PCM at ``rate``."""

    pcm: bytes
    rate: int

    @property
    def duration(self) -> float:
        return len(self.pcm) / SAMPLE_WIDTH / self.rate


class AudioSource(Protocol):
    """Where the words come from: a microphone, a file or stdin, at 16 kHz mono."""

    def read(self, frames: int) -> AudioChunk | None:
        """Block until ``frames`` frames are available; None once the stream has ended."""

    def close(self) -> None: ...


@runtime_checkable
class AudioSourceWithWarnings(AudioSource, Protocol):
    """A source that can find a fault in its own input, as a WAV file or named pipe can
    (cut short, longer than is read), and says so rather than failing.

    ``warning`` is what was known on opening; ``on_warning``, once the caller sets it,
    is called with each warning found later (a pipe only learns as it ends that it was
    cut short). A microphone has nothing of the kind to report, so this is a promise of
    its own rather than part of :class:`AudioSource`, and callers ask with ``isinstance``.
    """

    on_warning: Callable[[str], None] | None

    @property
    def warning(self) -> str | None:
        """Every warning so far, as one sentence or more; None when there is none."""


class Sink(Protocol):
    """Where speech goes: a loudspeaker or a WAV file."""

    rate: int

    def write(self, pcm: bytes) -> None:
        """Queue PCM at ``rate``; blocks while a device's buffer is full."""

    def drain(self) -> None:
        """Wait until everything written has been heard."""

    def discard(self) -> None:
        """Drop what is queued but not yet heard (after "stop")."""

    def close(self) -> None: ...
