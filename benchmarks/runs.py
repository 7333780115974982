"""``voiceglimmer run`` as a child process: time to ``ready``, and its peak memory.

Start-up and memory both report on the same runs, so they are made once per
suite and shared. The child reads a short WAV of Korean speech (``--input``),
writes its replies to a WAV (``--output``) and prints JSON events; the clock
stops at the ``ready`` line. Peak resident memory is the child's VmHWM, read
from /proc when it reports ``ended`` (its work done, not yet exited). Not
``ru_maxrss``: Linux carries a child's pre-exec high-water mark over, so a
child of this (large, model-holding) process would inherit this process's size.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.context import ROOT, Context
from benchmarks.core import peak_rss_mb
from benchmarks.speech import KOREAN, SpeechCache, Track


@dataclass
class RunFigures:
    """One list entry per timed run."""

    ready: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    model: str = ""
    replies: list[str] = field(default_factory=list)


def input_wav(ctx: Context) -> Path:
    """Half a second of quiet, one Korean sentence, then enough quiet to endpoint it."""

    def make() -> Path:
        voice = SpeechCache(ctx.engine("pyttsx3-ko"))
        with Track(ctx.folder("run") / "in.wav", voice) as track:
            track.quiet(0.5).say(KOREAN[0]).quiet(2.0)
        return track.path

    return ctx.once("run.input", make)


def run_once(ctx: Context, model_args: list[str], env: dict[str, str]) -> dict[str, float | str]:
    """One ``voiceglimmer run`` to the end of its input; timings and peak memory."""
    out = ctx.folder("run") / "out.wav"
    errors = ctx.folder("run") / "stderr.txt"
    args = [sys.executable, "-m", "voiceglimmer", "run", "--json", "--no-wake", *model_args]
    args += ["--input", str(input_wav(ctx)), "--output", str(out)]
    with errors.open("w") as err:
        began = time.perf_counter()
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        ready = None
        peak_mb = 0.0
        events = []
        for raw in proc.stdout:
            event = json.loads(raw)
            if event["event"] == "ready" and ready is None:
                ready = time.perf_counter() - began
            if event["event"] == "ended":  # all work done: the high-water mark is final
                peak_mb = peak_rss_mb(proc.pid)
            events.append(event)
        _, status, usage = os.wait4(proc.pid, 0)
        total = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or ready is None:
        raise RuntimeError(f"voiceglimmer run failed ({proc.returncode}): {errors.read_text()}")
    loaded = next(e for e in events if e["event"] == "ready")
    said = [e["text"] for e in events if e["event"] == "reply"]
    return {
        "ready": ready,
        "load": float(loaded["load_seconds"]),
        "model": str(loaded["model"]),
        "total": total,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": peak_mb,
        "reply": said[0] if said else "",
    }


def measure(ctx: Context, model: Path, label: str, *, via_env: bool = False) -> RunFigures:
    """``ctx.repeat`` timed runs after one untimed warm-up (bytecode, page cache;
    none with ``--quick``).

    The model is given with ``--model``, or with ``VOICEGLIMMER_MODEL`` when
    ``via_env`` (how a person points voiceglimmer at a model of their own).
    """

    def make() -> RunFigures:
        home = ctx.folder(f"run-home-{label}")
        if via_env:
            env, model_args = ctx.child_env(home, VOICEGLIMMER_MODEL=str(model)), []
        else:
            env, model_args = ctx.child_env(home), ["--model", str(model)]
        ctx.log(f"  voiceglimmer run ({label} model) ...")
        if not ctx.quick:
            run_once(ctx, model_args, env)
        figures = RunFigures()
        for _ in range(ctx.repeat):
            one = run_once(ctx, model_args, env)
            figures.ready.append(float(one["ready"]))
            figures.load.append(float(one["load"]))
            figures.total.append(float(one["total"]))
            figures.cpu.append(float(one["cpu"]))
            figures.peak_mb.append(float(one["peak_mb"]))
            figures.model = str(one["model"])
            figures.replies.append(str(one["reply"]))
        return figures

    return ctx.once(f"run.{label}", make)
