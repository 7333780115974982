"""Speech synthesis real-time factor: seconds of rendering per second of speech.

A standard savoring script (what "a long savor" says) is rendered sentence by
sentence with each segment's pace, exactly as the loop renders it, by each
built-in engine. Wall time is the figure (it is what delays the voice); CPU
time is kept beside it. The issue sets no budget; anything well under 1 keeps
up with the voice, and the first sentence's share is what "first audio" sees.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from benchmarks.context import NOW, Context
from benchmarks.core import Figure

STAGE = "synthesis"
ENGINES = ("pyttsx3", "piper")


def savoring_sentences(ctx: Context) -> list[tuple[str, str]]:
    """(sentence, pace) of one standard savoring script, in speaking order."""
    from voiceglimmer.app import open_assistant
    from voiceglimmer.voice.tts import split_sentences

    def make() -> list[tuple[str, str]]:
        assistant = open_assistant(home=ctx.folder("synthesis-home"), clock=lambda: NOW, seed=5)
        assistant.journal.add("the first sip of tea", created_at=NOW - timedelta(hours=1))
        reply = assistant.handle("a long savor").reply
        assistant.journal.close()
        return [
            (sentence, segment.pace)
            for segment in reply.segments
            for sentence in split_sentences(segment.text)
        ]

    return ctx.once("savoring.sentences", make)


def _render(engine: Any, sentences: list[tuple[str, str]]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, seconds of speech) to render every sentence."""
    wall = time.perf_counter()
    cpu = time.process_time()
    audio = 0.0
    for sentence, pace in sentences:
        audio += engine.synthesize(sentence, pace).duration
    return time.perf_counter() - wall, time.process_time() - cpu, audio


def run(ctx: Context) -> list[Figure]:
    sentences = savoring_sentences(ctx)
    used = sentences[:2] if ctx.quick else sentences
    figures = []
    for name in ENGINES:
        ctx.log(f"  synthesis real-time factor ({name}) ...")
        engine = ctx.engine(name)
        _render(engine, used[:1])  # warm
        passes = [_render(engine, used) for _ in range(1 if ctx.quick else ctx.repeat)]
        figures.append(
            Figure(
                f"synthesis.rtf.{name}",
                STAGE,
                f"{name}: render seconds per speech second, savoring script",
                "x",
                [wall / audio for wall, _, audio in passes],
                details={
                    "sentences": len(used),
                    "speech_seconds": passes[0][2],
                    "render_wall_seconds": [p[0] for p in passes],
                    "cpu_rtf": [cpu / audio for _, cpu, audio in passes],
                    "script": "the first 2 sentences (--quick)"
                    if ctx.quick
                    else "a whole standard savoring script",
                },
            )
        )
    return figures
