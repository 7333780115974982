"""The speech loop: microphone -> wake -> recognition -> intent -> handling ->
speech synthesis -> speaker, and back to listening.

One thread, one clock. The loop reads a block of audio, or, while it speaks,
writes a slice of speech and then reads the same span of audio for "stop".
A live microphone and speaker pace this in real time; a WAV file and a WAV
output run it in "virtual" time as fast as the CPU allows, with the same
turn-taking, so everything can be tested from files. The one other thread
renders speech: each piece of a reply is rendered while the one before it
plays, so the silences between them are exactly the script's, however long
a render takes, and a slow voice says its first few words alone, at once.

While the assistant speaks, its own voice is never transcribed: only the
stop detector listens, and it ignores "stop" while the assistant is itself
saying the word (savoring scripts tell the person they can say stop).
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Protocol

from voiceglimmer.events import (
    Announced,
    Ended,
    Final,
    Handled,
    LoopEvent,
    Notice,
    Pace,
    Partial,
    Reply,
    Said,
    Sleep,
    Spoken,
    Understood,
    Utterance,
    Wake,
)
from voiceglimmer.voice.asr import Recognizer, Transcript
from voiceglimmer.voice.audio import (
    LISTEN_FRAMES,
    RATE,
    SAMPLE_WIDTH,
    AudioChunk,
    AudioSource,
    Sink,
)
from voiceglimmer.voice.tts import (
    FIRST_PHRASE_LETTERS,
    KEEP_LEAD,
    KEEP_TAIL,
    SpeechEngine,
    first_phrase,
    split_sentences,
    trim_silence,
)
from voiceglimmer.voice.wake import STOP_PHRASES, Detector, strip_phrase


class Dialog(Protocol):
    """What the loop needs of the assistant (the Assistant, or one wrapping it)."""

    def handle(self, utterance: Utterance) -> Handled: ...

    def announcements(self) -> list[str]: ...


Emit = Callable[[LoopEvent], None]


@dataclass
class Settings:
    #: None means no wake phrase: every utterance is for the assistant (--no-wake).
    wake_phrase: str | None = "hey glimmer"
    #: After a reply, keep listening this long without the wake phrase.
    follow_up_seconds: float = 8.0
    #: After the wake phrase alone, wait this long for the request.
    listen_seconds: float = 8.0
    #: How much audio the wake phrase can precede the request by and still be kept.
    wake_buffer_seconds: float = 3.0
    block_frames: int = LISTEN_FRAMES
    #: How often (stream seconds) to ask the recogniser for the words so far. Each
    #: ask costs Vosk a best-path search and JSON, and a bare recogniser makes none;
    #: five a second keep the live line moving.
    partial_every: float = 0.2
    #: Speech is written in slices this long, each followed by a look for "stop".
    slice_seconds: float = 0.1
    #: "stop" is ignored this long after the assistant itself says it.
    echo_guard_seconds: float = 0.8
    #: How often (stream seconds) to ask plugins for reminders to say.
    announce_every: float = 30.0
    #: Rendered speech kept for saying again (bytes): about five minutes at 16 kHz.
    #: 0 renders every piece afresh (the first-audio benchmarks time first renders).
    speech_memory_bytes: int = 10 * 2**20


@dataclass(frozen=True)
class Piece:
    """One render of a reply: text, the silence after it, and its pace."""

    text: str
    pause: float
    pace: Pace
    #: Seconds of silence to keep before and after the sound (None: as the engine
    #: trimmed it): set where a sentence was split after its first phrase.
    lead: float | None = None
    tail: float | None = None


@dataclass
class Stats:
    audio_seconds: float = 0.0
    utterances: int = 0
    heard_speech: bool = False


@dataclass
class Loop:
    """One conversation over one audio source and one sink."""

    source: AudioSource
    sink: Sink
    assistant: Dialog
    recognizer: Recognizer
    engine: SpeechEngine
    emit: Emit
    wake: Detector | None = None
    stop: Detector | None = None
    settings: Settings = field(default_factory=Settings)
    stats: Stats = field(default_factory=Stats)
    _now: float = field(default=0.0, init=False)
    _awake_until: float = field(default=math.inf, init=False)
    _source_done: bool = field(default=False, init=False)
    _awake: bool = field(default=False, init=False)
    _next_announce: float = field(default=0.0, init=False)
    _ring: deque[AudioChunk] = field(default_factory=deque, init=False)
    _renderer: ThreadPoolExecutor | None = field(default=None, init=False)
    #: Speech already rendered, by piece and rate (the render thread's alone).
    _rendered: OrderedDict[tuple[Piece, int], bytes] = field(
        default_factory=OrderedDict, init=False
    )

    # -- listening -----------------------------------------------------------

    def _read(self) -> AudioChunk | None:
        if self._source_done:
            return None
        chunk = self.source.read(self.settings.block_frames)
        if chunk is None or not chunk.pcm:
            self._source_done = True
            return None
        self._now = chunk.start + chunk.duration
        self.stats.audio_seconds = self._now
        return chunk

    @property
    def _asleep(self) -> bool:
        return self.wake is not None and self._now >= self._awake_until

    def run(self) -> Ended:
        if self.wake is not None:
            self._awake_until = 0.0
        reason = "end of input"
        last_partial = ""
        next_partial = 0.0
        try:
            while (chunk := self._read()) is not None:
                if self._now >= self._next_announce and not last_partial:
                    self._announce()
                if self._asleep:
                    if self._awake:
                        self._awake = False
                        self.emit(Sleep(self._now))
                    self._listen_for_wake(chunk)
                    continue
                self._awake = True
                final = self.recognizer.accept(chunk)
                if final is not None:
                    last_partial = ""
                    self._on_final(final)
                    continue
                if self._now < next_partial:
                    continue
                next_partial = self._now + self.settings.partial_every - 1e-6
                partial = self.recognizer.partial()
                if partial and partial != last_partial:
                    self.stats.heard_speech = True
                    last_partial = partial
                    self.emit(Partial(self._now, partial))
                    # someone is mid-sentence: don't doze off under them
                    self._awake_until = max(self._awake_until, self._now + 2.0)
            final = self.recognizer.flush()
            if final is not None and not self._asleep:
                self._on_final(final)
        except KeyboardInterrupt:
            reason = "interrupted"
        finally:
            if self._renderer is not None:
                self._renderer.shutdown(wait=False, cancel_futures=True)
                self._renderer = None
        if not self.stats.heard_speech and reason == "end of input":
            self.emit(Notice(self._now, "No speech was heard in the input."))
        cpu = getattr(self.recognizer, "cpu_seconds", 0.0)
        ended = Ended(
            self._now,
            reason,
            round(self.stats.audio_seconds, 3),
            round(cpu, 3),
            self.stats.utterances,
        )
        self.emit(ended)
        return ended

    def _announce(self) -> None:
        """Say due reminders, between utterances, awake or not."""
        self._next_announce = self._now + self.settings.announce_every
        for text in self.assistant.announcements():
            self.emit(Announced(self._now, text))
            self.speak(Reply.say(text))
            self.recognizer.reset(self._now)

    def _listen_for_wake(self, chunk: AudioChunk) -> None:
        assert self.wake is not None
        self._ring.append(chunk)
        while self._ring and self._ring[0].start < self._now - self.settings.wake_buffer_seconds:
            self._ring.popleft()
        end = self.wake.accept(chunk)
        if end is None:
            return
        self.stats.heard_speech = True
        self.emit(Wake(round(end, 3)))
        self._awake_until = self._now + self.settings.listen_seconds
        # The request may follow in the same breath: hand the recogniser the
        # audio after the phrase that the wake detector has already consumed.
        self.recognizer.reset(end)
        for buffered in self._ring:
            tail = _after(buffered, end)
            if tail is not None:
                final = self.recognizer.accept(tail)
                if final is not None:
                    self._on_final(final)
        self._ring.clear()

    # -- understanding and answering ----------------------------------------------

    def _on_final(self, final: Transcript) -> None:
        text = final.text
        if self.settings.wake_phrase:
            text = strip_phrase(text, self.settings.wake_phrase)
        text = " ".join(w for w in text.split() if w != "[unk]")
        if not text:
            return
        self.stats.heard_speech = True
        self.stats.utterances += 1
        endpoint_at = time.perf_counter()
        conf = None if final.confidence is None else round(final.confidence, 3)
        end = final.speech_end
        self.emit(Final(self._now, text, conf, None if end is None else round(end, 3)))
        handled = self.assistant.handle(Utterance(text, source="voice", confidence=conf))
        self.emit(
            Understood(
                self._now,
                handled.plugin,
                handled.intent,
                handled.slots,
                handled.stage,
                handled.confidence,
            )
        )
        self.emit(Said(self._now, handled.reply.text, handled.reply.glimmer_id))
        wait = None if end is None else round(max(0.0, final.at - end), 3)
        self.speak(handled.reply, since=endpoint_at, endpoint_wait=wait)
        self._awake_until = self._now + self.settings.follow_up_seconds
        self.recognizer.reset(self._now)

    # -- speaking ------------------------------------------------------------------

    def _pieces(self, reply: Reply) -> Iterator[Piece]:
        """The reply as pieces to render one at a time, so its first sentence is
        heard before the rest of a long script is synthesised. With an engine
        that asks for it (``phrase_first``), the first sentence's first few words
        are a piece of their own (see ``tts.first_phrase``)."""
        first = bool(getattr(self.engine, "phrase_first", False))
        for segment in reply.segments:
            sentences = split_sentences(segment.text) if segment.text.strip() else []
            for i, sentence in enumerate(sentences):
                pause = segment.pause if i == len(sentences) - 1 else 0.0
                phrase, rest, gap = (sentence, "", 0.0)
                if first:
                    phrase, rest, gap = first_phrase(sentence, FIRST_PHRASE_LETTERS[segment.pace])
                first = False
                if rest:
                    yield Piece(phrase, 0.0, segment.pace, tail=gap)
                    yield Piece(rest, pause, segment.pace, lead=0.0)
                else:
                    yield Piece(sentence, pause, segment.pace)
            if not sentences and segment.pause:
                yield Piece("", segment.pause, segment.pace)

    def _render(self, piece: Piece, rate: int) -> bytes:
        """A piece's speech at ``rate`` (on the render thread), rendered once: the
        assistant says many things again (a script's lines, "Saved", its fallback),
        and rendering is most of what speaking costs."""
        if not piece.text:
            return b""
        key = (replace(piece, pause=0.0), rate)  # the silence after it is added later
        if (kept := self._rendered.get(key)) is not None:
            self._rendered.move_to_end(key)
            return kept
        pcm = self._rendered_now(piece, rate)
        self._rendered[key] = pcm
        limit = self.settings.speech_memory_bytes
        while self._rendered and sum(map(len, self._rendered.values())) > limit:
            self._rendered.popitem(last=False)
        return pcm

    def _rendered_now(self, piece: Piece, rate: int) -> bytes:
        speech = self.engine.synthesize(piece.text, piece.pace)
        pcm = speech.pcm
        if piece.lead is not None or piece.tail is not None:
            pcm = trim_silence(
                pcm,
                speech.rate,
                keep_lead=KEEP_LEAD if piece.lead is None else piece.lead,
                keep_tail=KEEP_TAIL if piece.tail is None else piece.tail,
            )
        return _to_rate(pcm, speech.rate, rate)

    def _rendering(self, reply: Reply, rate: int) -> Generator[tuple[Piece, bytes], None, None]:
        """Each piece with its speech; the next piece renders while this one plays."""
        if self._renderer is None:
            self._renderer = ThreadPoolExecutor(1, thread_name_prefix="speech")
        renderer = self._renderer
        pieces = self._pieces(reply)

        def submit() -> tuple[Piece, Future[bytes]] | None:
            piece = next(pieces, None)
            return None if piece is None else (piece, renderer.submit(self._render, piece, rate))

        current = submit()
        try:
            while current is not None:
                piece, rendering = current
                pcm = rendering.result()
                current = submit()
                yield piece, pcm
        finally:  # stopped early: what was still to come is not needed
            if current is not None:
                current[1].cancel()

    def speak(
        self, reply: Reply, *, since: float | None = None, endpoint_wait: float | None = None
    ) -> tuple[float, bool]:
        """Say a reply with its pauses; returns (seconds spoken, stopped early)."""
        rate = self.sink.rate
        spoken = 0.0
        first_audio: float | None = None
        guard_until = -math.inf
        stopped = False
        if self.stop is not None:
            self.stop.reset(self._now)
        rendering = self._rendering(reply, rate)
        for piece, speech in rendering:
            if piece.text and _mentions_stop(piece.text):
                guard_until = self._now + len(speech) / SAMPLE_WIDTH / rate
                guard_until += self.settings.echo_guard_seconds
            pcm = speech + b"\0\0" * round(piece.pause * rate)
            for chunk in _slices(pcm, rate, self.settings.slice_seconds):
                self.sink.write(chunk)
                if first_audio is None and since is not None:
                    first_audio = time.perf_counter() - since
                spoken += len(chunk) / SAMPLE_WIDTH / rate
                if self._heard_stop(len(chunk) / SAMPLE_WIDTH / rate, guard_until):
                    stopped = True
                    break
            if stopped:
                break
        rendering.close()
        if stopped:
            self.sink.discard()
        else:
            self.sink.drain()
        self.emit(
            Spoken(
                self._now,
                round(spoken, 3),
                stopped,
                None if first_audio is None else round(first_audio, 4),
                endpoint_wait,
            )
        )
        if reply.on_finished is not None:
            reply.on_finished(spoken, not stopped)
        return spoken, stopped

    def _heard_stop(self, seconds: float, guard_until: float) -> bool:
        """Read as much audio as was just spoken; True if the person said stop."""
        frames = round(seconds * RATE)
        while frames > 0:
            chunk = self._read()
            if chunk is None:
                return False
            frames -= chunk.frames
            heard = self.stop is not None and self.stop.accept(chunk) is not None
            if heard and self._now > guard_until:
                return True
        return False


def _after(chunk: AudioChunk, t: float) -> AudioChunk | None:
    """The part of ``chunk`` from stream time ``t`` on."""
    if chunk.start + chunk.duration <= t:
        return None
    skip = max(0, int((t - chunk.start) * chunk.rate)) * SAMPLE_WIDTH
    return AudioChunk(chunk.pcm[skip:], chunk.rate, chunk.start + skip / SAMPLE_WIDTH / chunk.rate)


def _slices(pcm: bytes, rate: int, seconds: float) -> Iterator[bytes]:
    step = max(SAMPLE_WIDTH, int(rate * seconds) * SAMPLE_WIDTH)
    for i in range(0, len(pcm), step):
        yield pcm[i : i + step]


def _to_rate(pcm: bytes, rate: int, target: int) -> bytes:
    if rate == target or not pcm:
        return pcm
    import numpy as np
    import soxr

    samples = np.frombuffer(pcm, dtype=np.int16)
    return soxr.resample(samples, rate, target).astype(np.int16).tobytes()


_STOP_WORDS = re.compile(r"\b(" + "|".join(STOP_PHRASES) + r")\b", re.IGNORECASE)


def _mentions_stop(sentence: str) -> bool:
    return bool(_STOP_WORDS.search(sentence.replace("\u2019", "'")))
