"""Recognition: 16 kHz audio in, partial and final transcripts out, with Vosk.

Vosk decides where an utterance ends by the endpoint rules in the model's
conf/model.conf (trailing-silence thresholds), so "final" here means exactly
what the model's endpointer says. Word timings are switched on so the loop
can drop a wake phrase by time rather than by guessing at spelling.
"""

from __future__ import annotations

import ctypes
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from voiceglimmer.errors import UserError
from voiceglimmer.voice.audio import RATE, AudioChunk


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class Transcript:
    """What the recogniser heard; ``final`` once the endpointer closed the utterance."""

    text: str
    final: bool
    words: tuple[Word, ...] = ()
    #: Stream time (seconds) when the recogniser produced this.
    at: float = 0.0

    @property
    def confidence(self) -> float | None:
        return sum(w.conf for w in self.words) / len(self.words) if self.words else None

    @property
    def speech_end(self) -> float | None:
        return self.words[-1].end if self.words else None


class Recognizer(Protocol):
    """The recognition stage as the loop sees it (Vosk in the product)."""

    def accept(self, chunk: AudioChunk) -> Transcript | None:
        """Feed audio; a final Transcript when an utterance ends, else None."""

    def partial(self) -> str:
        """The words so far of the utterance in progress."""

    def flush(self) -> Transcript | None:
        """End of stream: the final words of any utterance still open."""

    def reset(self, at: float) -> None:
        """Start afresh; ``at`` is the stream time of the next chunk."""


class ModelError(UserError):
    """The speech model could not be loaded."""


def load_model(path: Path) -> Any:
    """Load a Vosk model with Kaldi's chatter silenced; a clear error if it can't be."""
    import vosk

    vosk.SetLogLevel(-1)
    if not (path / "conf" / "model.conf").exists() and not (path / "am").exists():
        raise ModelError(
            f"{path} doesn't look like a Vosk model (no am/ or conf/model.conf inside). "
            "Check the path, or run `voiceglimmer models fetch vosk-model-small-en-us-0.15`."
        )
    try:
        return vosk.Model(str(path))
    except Exception as exc:  # vosk raises a bare Exception
        raise ModelError(
            f"Vosk could not load the model at {path} ({exc}); it may be incomplete or "
            "damaged. Run `voiceglimmer models verify` or fetch it again."
        ) from exc


def has_words(model: Any, phrase: str) -> list[str]:
    """The words of ``phrase`` the model's vocabulary lacks."""
    return [w for w in phrase.lower().split() if model.vosk_model_find_word(w) < 0]


def _find_malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_malloc_trim = _find_malloc_trim()


def release_freed_memory() -> None:
    """Give the pages under freed heap blocks back to the system.

    Kaldi allocates and frees many small blocks as it decodes (lattices every
    utterance; the features of the last ten minutes of audio, which Vosk keeps
    and then drops wholesale), and glibc keeps the pages under freed blocks
    resident unless they sit at the very top of the heap, so resident memory
    only ever went up. ``malloc_trim(0)`` returns every whole free page, and
    resident memory then follows what is in use: ~16 MB less on average over
    a 2,000-utterance soak (``benchmarks/soak.py``). It takes about a
    millisecond (a few now and then), so it is done only at idle moments
    (``VoskRecognizer.reset``). A no-op where the C library isn't glibc.
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


#: Seconds of decoded audio after which ``VoskRecognizer.reset`` replaces a
#: full-vocabulary KaldiRecognizer with a fresh one: half of Vosk's own
#: 20,000-frame (10-minute) front-end cycle.
RENEW_AFTER_SECONDS = 5 * 60


@dataclass
class VoskRecognizer:
    """Streaming Vosk recognition; with ``grammar``, restricted to those phrases."""

    model: Any
    grammar: list[str] | None = None
    #: Word timings in partial results too. Only the phrase detectors need them
    #: (to drop the wake phrase by time as it is said); the main recogniser's
    #: partials are shown as text, and leaving them off saves Vosk aligning words
    #: and writing JSON for them ten times a second.
    partial_words: bool = False
    #: See ``reset``; grammar recognisers are never renewed.
    renew_after: float = RENEW_AFTER_SECONDS
    _rec: Any = field(init=False)
    #: Vosk times words by the audio it has been fed, which falls behind the
    #: stream whenever the loop skips audio (asleep, or speaking); this is the gap.
    _offset: float = field(default=0.0, init=False)
    _fed: float = field(default=0.0, init=False)
    _clock: float = field(default=0.0, init=False)
    cpu_seconds: float = field(default=0.0, init=False)
    audio_seconds: float = field(default=0.0, init=False)
    #: The last audio fed ended an utterance, and nothing has been fed since (see ``reset``).
    _just_ended: bool = field(default=False, init=False)
    #: ``audio_seconds`` when the current KaldiRecognizer was made.
    _renewed_at: float = field(default=0.0, init=False)
    #: How many times ``reset`` replaced the KaldiRecognizer (reported by the soak benchmark).
    renewals: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._rec = self._new()

    def _new(self) -> Any:
        import vosk

        if self.grammar is not None:
            # ensure_ascii=False: Vosk compares the raw UTF-8 words.
            rec = vosk.KaldiRecognizer(
                self.model, RATE, json.dumps(self.grammar, ensure_ascii=False)
            )
        else:
            rec = vosk.KaldiRecognizer(self.model, RATE)
        rec.SetWords(True)
        rec.SetPartialWords(self.partial_words)
        return rec

    def _transcript(self, raw: str, final: bool) -> Transcript:
        data = json.loads(raw)
        words = tuple(
            Word(w["word"], w["start"] + self._offset, w["end"] + self._offset, w.get("conf", 1.0))
            for w in data.get("result" if final else "partial_result", [])
        )
        text = data.get("text" if final else "partial", "")
        return Transcript(text=text, final=final, words=words, at=self._clock)

    def accept(self, chunk: AudioChunk) -> Transcript | None:
        self._offset = chunk.start - self._fed
        self._fed += chunk.duration
        began = time.process_time()
        ended = self._rec.AcceptWaveform(chunk.pcm)
        self.cpu_seconds += time.process_time() - began
        self.audio_seconds += chunk.duration
        self._clock = chunk.start + chunk.duration
        self._just_ended = bool(ended)
        return self._transcript(self._rec.Result(), final=True) if ended else None

    def partial_transcript(self) -> Transcript:
        return self._transcript(self._rec.PartialResult(), final=False)

    def partial(self) -> str:
        # The loop asks ten times a second and wants only the words: no Transcript.
        text: str = json.loads(self._rec.PartialResult()).get("partial", "")
        return text

    def flush(self) -> Transcript | None:
        result = self._transcript(self._rec.FinalResult(), final=True)
        return result if result.text else None

    def reset(self, at: float) -> None:
        """Start afresh; straight after an utterance ended, also bound memory.

        The loop answers a final transcript, speaks the reply (feeding this
        recogniser nothing meanwhile) and then resets it: the idle moment for
        housekeeping, at most once per utterance and never while someone is
        waiting. Two kinds, for the full-vocabulary recogniser only (grammar
        recognisers for the wake and stop phrases are small, and are reset
        just as someone starts waiting):

        * the heap is trimmed (~1 ms), so pages under Kaldi's freed blocks go
          back to the system instead of ratcheting resident memory up;
        * every ``renew_after`` seconds of decoded audio the KaldiRecognizer is
          replaced. Vosk composes the decoding graph lazily and caches it per
          recogniser, so that cache grows with every new word path it meets
          (+220 MB over the first 100 utterances with the Korean model); a
          fresh one starts from the model alone. In a 2,000-utterance soak the
          peak stayed flat (750-771 MB per fifth) instead of creeping from 806
          to 820 MB. The price: ~230 ms here, and the next utterance decodes
          ~6x slower while the cache refills (0.44 CPU s per audio s, warm
          0.07), a few more ~2x. Five minutes of requests is days of ordinary
          use; listening for the wake phrase doesn't count.
        """
        del at  # word times follow the fed audio (see _offset), not the reset
        self._rec.Reset()
        if self._just_ended and self.grammar is None:
            if self.audio_seconds - self._renewed_at >= self.renew_after:
                self._rec = None  # free the old one and its cache before making the next
                self._rec = self._new()
                self._renewed_at = self.audio_seconds
                self._fed = 0.0  # the new one times words from its own start
                self.renewals += 1
            release_freed_memory()
        self._just_ended = False
