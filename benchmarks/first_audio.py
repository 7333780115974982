"""End of speech to first reply audio, through the real speech loop.

``voiceglimmer.voice.loop.Loop`` runs over a WAV of Korean speech with the real
Vosk recogniser (Korean model), ``--no-wake``, the real assistant, plugins
and journal, a real speech engine and a WAV sink. The figure is the loop's
own ``first_audio`` (``Spoken`` events): wall seconds from the final
transcript (so Vosk's endpoint silence is excluded; ``endpoint_wait`` is
kept beside it) to the first slice of reply audio written.

Two kinds of reply: short ones (one or two sentences) and a long savoring
script (about two minutes). The loop renders sentence by sentence, so the
two should be the same. Once a long script's first slice is out, a
benchmark stop detector cuts it (as "stop" would): its first audio has been
measured by then, and rendering two minutes of piper per repeat would only
make the suite slow.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.context import NOW, Context
from benchmarks.core import Budget, Figure
from benchmarks.speech import KOREAN, SpeechCache, SpokenRequests, Track

STAGE = "first audio"
BUDGET = Budget(0.300)
SHORT_REQUESTS = (
    "how many glimmers this week",
    "glimmer the warm sunlight on my face",
    "what was my last glimmer",
    "any glimmers about the sea",
)
LONG_REQUEST = "a long savor"
#: Quiet after a short request: the endpoint (~1 s with the Korean model), the
#: reply (which reads the same span of input, listening for "stop"), a margin.
SHORT_GAP = 7.0
#: The search reads five glimmers and offers more: about 20 s of speech.
GAPS = {"any glimmers about the sea": 24.0}
LONG_GAP = 3.0
ENDPOINT = 1.6
ENGINES = ("pyttsx3", "piper")


@dataclass
class CutAfterFirstSlice:
    """A stop detector that "hears stop" as soon as the reply has started playing."""

    def accept(self, chunk: Any) -> float | None:
        return chunk.start + chunk.duration

    def reset(self, at: float) -> None:
        del at


@dataclass
class Outcome:
    first_audio: list[float] = field(default_factory=list)
    endpoint_wait: list[float] = field(default_factory=list)
    lines: int = 0
    heard: int = 0
    #: (first sentence of the reply, its first_audio) per answered line.
    by_reply: list[tuple[str, float | None]] = field(default_factory=list)


def _assistant(ctx: Context, name: str) -> Any:
    from voiceglimmer.app import open_assistant

    assistant = open_assistant(home=ctx.folder(name), clock=lambda: NOW, seed=11)
    rng = random.Random(11)
    for day in range(14):
        for text in rng.sample(["the first sip of tea", "waves at the sea", "a warm bath"], 2):
            assistant.journal.add(text, created_at=NOW - timedelta(days=day, hours=2))
    return assistant


def run_first_audio_loop(
    ctx: Context,
    track: Path,
    output: Path,
    assistant: Any,
    spoken_requests: SpokenRequests,
    engine: Any,
    emit: Callable[[Any], None],
    stop: Any,
) -> None:
    """The real loop over ``track`` (Korean model, no wake phrase), every piece rendered
    afresh so first renders are timed; the assistant's journal is closed after."""
    from voiceglimmer.voice.asr import VoskRecognizer
    from voiceglimmer.voice.loop import Loop, Settings
    from voiceglimmer.voice.mic import open_wav
    from voiceglimmer.voice.speaker import WavSink

    source = open_wav(track)
    sink = WavSink(output, engine.rate)
    try:
        Loop(
            source=source,
            sink=sink,
            assistant=spoken_requests,  # type: ignore[arg-type]
            recognizer=VoskRecognizer(ctx.korean_model()),
            engine=engine,
            emit=emit,
            stop=stop,
            settings=Settings(wake_phrase=None, speech_memory_bytes=0),  # first renders
        ).run()
    finally:
        source.close()
        sink.close()
        assistant.journal.close()


def _loop_run(
    ctx: Context, engine_name: str, requests: list[str], gap: float, cut: bool
) -> Outcome:
    from voiceglimmer.events import LoopEvent, Said, Spoken
    from voiceglimmer.voice.tts import split_sentences

    engine = ctx.engine(engine_name)
    tag = f"{engine_name}-{'long' if cut else 'short'}"
    voice = ctx.once("voice.ko", lambda: SpeechCache(ctx.engine("pyttsx3-ko")))
    with Track(ctx.folder("first-audio") / f"{tag}.wav", voice) as track:
        track.quiet(0.5)
        for i, request in enumerate(requests):
            last = i == len(requests) - 1
            # after the last line, only the endpoint: the reply plays on past the input
            quiet = ENDPOINT if last else GAPS.get(request, gap)
            track.say(KOREAN[i % len(KOREAN)], means=request).quiet(quiet)
    assistant = _assistant(ctx, f"first-audio-home-{tag}")
    spoken_requests = SpokenRequests(assistant, track.lines)
    outcome = Outcome(lines=len(track.lines))
    seen: set[int] = set()
    said: list[str] = []

    def emit(event: LoopEvent) -> None:
        spoken_requests.observe(event)
        if isinstance(event, Said):
            said.append(event.text)
        if isinstance(event, Spoken) and spoken_requests.current not in seen:
            seen.add(spoken_requests.current)  # type: ignore[arg-type]
            if event.first_audio is not None:
                outcome.first_audio.append(event.first_audio)
            if event.endpoint_wait is not None:
                outcome.endpoint_wait.append(event.endpoint_wait)
            first = split_sentences(said[-1])[0] if said and said[-1].strip() else ""
            outcome.by_reply.append((first, event.first_audio))

    output = ctx.folder("first-audio") / f"{tag}-out.wav"
    stop = CutAfterFirstSlice() if cut else None
    run_first_audio_loop(ctx, track.path, output, assistant, spoken_requests, engine, emit, stop)
    outcome.heard = len(seen)
    return outcome


def run(ctx: Context) -> list[Figure]:
    figures = []
    short_count = 1 if ctx.quick else max(ctx.repeat, len(SHORT_REQUESTS))
    long_count = 1 if ctx.quick else ctx.repeat
    for name in ENGINES:
        ctx.log(f"  first audio with {name} (real loop, Vosk Korean) ...")
        short_requests = [SHORT_REQUESTS[i % len(SHORT_REQUESTS)] for i in range(short_count)]
        short = _loop_run(ctx, name, short_requests, SHORT_GAP, cut=False)
        long = _loop_run(ctx, name, [LONG_REQUEST] * long_count, LONG_GAP, cut=True)
        for kind, outcome, title in (
            ("short", short, "short replies (count, log, latest, search)"),
            ("long_savor", long, 'a long savoring script ("a long savor", ~2 min)'),
        ):
            figures.append(
                Figure(
                    f"first_audio.{name}.{kind}",
                    STAGE,
                    f"{name}: {title}",
                    "s",
                    outcome.first_audio,
                    BUDGET,
                    label="real loop + Vosk (Korean speech standing in for the English request)",
                    details={
                        "lines_spoken": outcome.lines,
                        "lines_answered": outcome.heard,
                        "endpoint_wait_median_seconds": (
                            statistics.median(outcome.endpoint_wait)
                            if outcome.endpoint_wait
                            else None
                        ),
                        "first_sentence_and_first_audio": outcome.by_reply,
                        "excluded": "Vosk's endpoint silence (endpoint_wait) is not counted",
                    },
                )
            )
    return figures
